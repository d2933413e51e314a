using System.Net;
using Platform.Testing;

namespace CacheInvalidator.Tests.Hosting;

/// <summary>The ops API is rate-limited per client like the catalog's writes (issue #13, item 8).</summary>
public sealed class OpsRateLimitTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    private const string AdminKey = "ops-admin-key-0123456789abcdef";

    [Fact]
    public async Task OpsRequestsBeyondTheRateLimitAre429WithRetryAfter()
    {
        await using var node = new ServiceHost<Program>(new Dictionary<string, string?>(fixture.Settings)
        {
            ["DeadLetters:MoverEnabled"] = "false",
            ["Auth:ApiKeys:0:Name"] = "ops",
            ["Auth:ApiKeys:0:Key"] = AdminKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "ops:admin",
            ["RateLimiting:OpsPermitsPerMinute"] = "1",
            ["RateLimiting:OpsBurst"] = "2",
        });
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);

        // A burst of two, then one a minute: the third request in a row is refused.
        var first = await client.GetAsync(new Uri("/ops/dead-letters/groups", UriKind.Relative));
        var second = await client.GetAsync(new Uri("/ops/dead-letters", UriKind.Relative));
        var limited = await client.GetAsync(new Uri("/ops/dead-letters/history", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal("application/problem+json", limited.Content.Headers.ContentType?.MediaType);
    }
}
