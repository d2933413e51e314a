using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CacheInvalidator.Requests;
using Microsoft.Extensions.DependencyInjection;

namespace CacheInvalidator.Tests.Requests;

/// <summary>
/// <c>POST /ops/cache/invalidate</c> and <c>GET /ops/cache/invalidations</c> on the real service: the request takes the
/// message's path (evicts on every node, recorded with the key's name as actor), needs its own scope, and refuses bad
/// input with a 400 naming the field.
/// </summary>
public sealed class InvalidateEndpointTests(PublishingFixture fixture) : IClassFixture<PublishingFixture>
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static string Body(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task InvalidateEvictsOnTheCacheNodeAndIsRecordedWithTheKeysName()
    {
        var key = await fixture.CachedKeyAsync("http");
        var reason = $"fixed by hand {Guid.NewGuid():N}";

        using var response = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Post, "/ops/cache/invalidate", PublishingFixture.InvalidateKey,
            Body(new { keys = new[] { key, key }, tags = new[] { "category:7" }, reason, source = "runbook" })));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<CacheInvalidateResult>(Web);
        Assert.Equal("pricing-service", result!.Actor);
        Assert.Equal([key], result.Keys);
        await fixture.WaitUntilEvictedAsync(key);
        var record = await fixture.RecordAsync(reason);
        Assert.Equal(("http", "pricing-service", "runbook"), (record.Channel, record.Actor, record.Source));
        Assert.Equal(["category:7"], record.Tags);
    }

    [Fact]
    public async Task RecordListsRequestsNewestFirstFilteredByKey()
    {
        var key = await fixture.CachedKeyAsync("listed");
        for (var i = 0; i < 3; i++)
        {
            using var posted = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Post, "/ops/cache/invalidate", PublishingFixture.InvalidateKey,
                Body(new { keys = new[] { key }, reason = $"round {i}", source = "runbook" })));
            posted.EnsureSuccessStatusCode();
        }

        using var response = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Get, $"/ops/cache/invalidations?key={Uri.EscapeDataString(key)}&limit=2", PublishingFixture.OpsKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var page = await response.Content.ReadFromJsonAsync<InvalidationRecordPage>(Web);
        Assert.Equal(["round 2", "round 1"], page!.Items.Select(r => r.Reason));
        Assert.NotNull(page.NextBefore);
        using var next = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Get, $"/ops/cache/invalidations?key={Uri.EscapeDataString(key)}&before={page.NextBefore}", PublishingFixture.OpsKey));
        var rest = await next.Content.ReadFromJsonAsync<InvalidationRecordPage>(Web);
        Assert.Equal(["round 0"], rest!.Items.Select(r => r.Reason));
        Assert.Null(rest.NextBefore);
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"keys": ["has space"], "reason": "r", "source": "s"}""", "keys[0]" },
        { """{"keys": [], "tags": [], "reason": "r", "source": "s"}""", "keys" },
        { """{"keys": ["k"], "source": "s"}""", "reason" },
        { """{"keys": ["k"], "reason": "r"}""", "source" },
        { """{"keys": ["k"], "reason": "r", "source": "s", "actor": "me"}""", "actor" },
        { """{"keys": "k", "reason": "r", "source": "s"}""", "keys" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInvalidateBodyIsA400NamingTheField(string json, string field)
    {
        using var response = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Post, "/ops/cache/invalidate", PublishingFixture.InvalidateKey, json));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.TryGetProperty("errors", out _), problem.ToString());
        var errors = problem.GetProperty("errors").EnumerateObject().Select(e => e.Name).ToList();
        Assert.Contains(errors, name => name.Equals(field, StringComparison.OrdinalIgnoreCase) || name.StartsWith(field + ".", StringComparison.OrdinalIgnoreCase) || name.Equals("$." + field, StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("since=yesterday", "since")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("before=-1", "before")]
    [InlineData("channel=smoke-signal", "channel")]
    [InlineData("key=", "key")]
    public async Task BadRecordQueryIsA400NamingTheField(string query, string field)
    {
        using var response = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Get, "/ops/cache/invalidations?" + query, PublishingFixture.OpsKey));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors name {field}");
    }

    [Fact]
    public async Task EachEndpointNeedsItsOwnScope()
    {
        using var opsPosting = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Post, "/ops/cache/invalidate", PublishingFixture.OpsKey,
            Body(new { keys = new[] { "k" }, reason = "r", source = "s" })));
        using var invalidatorListing = await fixture.Client.SendAsync(fixture.Request(HttpMethod.Get, "/ops/cache/invalidations", PublishingFixture.InvalidateKey));
        using var anonymous = await fixture.Client.PostAsync("/ops/cache/invalidate", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(
            (HttpStatusCode.Forbidden, HttpStatusCode.Forbidden, HttpStatusCode.Unauthorized),
            (opsPosting.StatusCode, invalidatorListing.StatusCode, anonymous.StatusCode));
    }

    [Fact]
    public async Task RetentionDeletesOnlyRequestsOlderThanItsHorizon()
    {
        var source = $"retention-{Guid.NewGuid():N}";
        await using (var insert = fixture.Database.DataSource.CreateCommand("""
            INSERT INTO invalidator.invalidation_requests (at, channel, source, reason, keys, tags)
            VALUES (now() - interval '91 days', 'http', @source, 'old', '{k}', '{}'), (now() - interval '89 days', 'http', @source, 'kept', '{k}', '{}')
            """))
        {
            insert.Parameters.AddWithValue("source", source);
            await insert.ExecuteNonQueryAsync();
        }

        await fixture.Host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<InvalidationRequestRetention>().Single().RunOnceAsync(default);

        await using var count = fixture.Database.DataSource.CreateCommand("SELECT array_agg(reason) FROM invalidator.invalidation_requests WHERE source = @source");
        count.Parameters.AddWithValue("source", source);
        Assert.Equal(["kept"], (string[])(await count.ExecuteScalarAsync())!);
    }
}
