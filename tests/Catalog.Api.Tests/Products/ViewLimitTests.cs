using System.Net;
using Microsoft.AspNetCore.Http;
using Platform.Testing;

namespace Catalog.Api.Tests.Products;

/// <summary>
/// Views are anonymous under one token bucket per node for all clients (docs/security.md): neither many addresses nor
/// one proxy's shared address changes what a node records.
/// </summary>
public sealed class ViewLimitTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    [Fact]
    public async Task ViewsPastTheBurstAre429ProblemsWhateverAddressTheyComeFrom()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["Catalog:ViewsPerSecond"] = "1", ["Catalog:ViewsBurst"] = "3" });

        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await ViewAsync(node, IPAddress.Parse($"192.0.2.{50 + i}"))).Response.StatusCode);
        }

        var fromANewAddress = await ViewAsync(node, IPAddress.Parse("198.51.100.99"));

        Assert.All(statuses, s => Assert.Equal(StatusCodes.Status202Accepted, s));
        Assert.Equal(StatusCodes.Status429TooManyRequests, fromANewAddress.Response.StatusCode);
        Assert.True(int.TryParse(fromANewAddress.Response.Headers.RetryAfter, out var seconds) && seconds >= 1, $"Retry-After '{fromANewAddress.Response.Headers.RetryAfter}'");
        Assert.Equal("application/problem+json", fromANewAddress.Response.ContentType?.Split(';')[0]);
    }

    [Fact]
    public async Task ViewsDoNotSpendTheWritersBuckets()
    {
        await using var node = fixture.StartNode(overrides: new Dictionary<string, string?> { ["RateLimiting:PermitsPerSecond"] = "1", ["RateLimiting:Burst"] = "1" });
        var client = node.CreateClient();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await client.PostAsync(new Uri("/api/products/1/views", UriKind.Relative), null)).StatusCode);
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Accepted, s));
    }

    private static Task<HttpContext> ViewAsync(ServiceHost<Program> node, IPAddress client) =>
        node.Server.SendAsync(context =>
        {
            context.Connection.RemoteIpAddress = client;
            context.Request.Method = HttpMethods.Post;
            context.Request.Path = "/api/products/1/views";
        });
}
