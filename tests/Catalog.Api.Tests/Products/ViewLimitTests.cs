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

        // Ten views from ten addresses: a per-address bucket would accept them all. The bucket refills one a second,
        // so a slow machine may accept one more per second the loop takes, never ten.
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        var responses = new List<HttpResponse>();
        for (var i = 0; i < 10; i++)
        {
            responses.Add((await ViewAsync(node, IPAddress.Parse($"192.0.2.{50 + i}"))).Response);
        }

        var seconds = (int)Math.Ceiling(elapsed.Elapsed.TotalSeconds);
        Assert.All(responses, r => Assert.Contains(r.StatusCode, new[] { StatusCodes.Status202Accepted, StatusCodes.Status429TooManyRequests }));
        Assert.All(responses.Take(3), r => Assert.Equal(StatusCodes.Status202Accepted, r.StatusCode));
        var accepted = responses.Count(r => r.StatusCode == StatusCodes.Status202Accepted);
        Assert.True(accepted <= 3 + seconds, $"{accepted} of 10 accepted in {seconds} s with a burst of 3 and 1 view/s");
        var refused = responses.Where(r => r.StatusCode == StatusCodes.Status429TooManyRequests).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, r =>
        {
            Assert.True(int.TryParse(r.Headers.RetryAfter, out var retry) && retry >= 1, $"Retry-After '{r.Headers.RetryAfter}'");
            Assert.Equal("application/problem+json", r.ContentType?.Split(';')[0]);
        });
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
