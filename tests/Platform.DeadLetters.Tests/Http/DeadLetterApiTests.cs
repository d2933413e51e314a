using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Tests.Http;

/// <summary>The /ops API: the ops:admin key is required, filters work, and every error is a ProblemDetails naming the field.</summary>
public sealed class DeadLetterApiTests
{
    [Fact]
    public async Task OpsApiNeedsTheOpsAdminKey()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var node = await world.StartOpsNodeAsync();
        var list = new Uri("/ops/dead-letters", UriKind.Relative);

        var anonymous = await node.Anonymous.GetAsync(list);
        var otherScope = await node.Writer.GetAsync(list);
        var wrongKey = new HttpRequestMessage(HttpMethod.Post, "/ops/dead-letters/purge") { Content = JsonContent.Create(new { all = true, confirm = true }) };
        wrongKey.Headers.Add("X-Api-Key", "not-the-key-0123456789abcdef");
        var forged = await node.Anonymous.SendAsync(wrongKey);
        var admin = await node.Admin.GetAsync(list);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, otherScope.StatusCode);
        Assert.Equal("application/problem+json", otherScope.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
    }

    [Fact]
    public async Task UnknownIdsAreNotFoundProblemsNamingThem()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var node = await world.StartOpsNodeAsync();

        var show = await node.Admin.GetAsync(new Uri("/ops/dead-letters/987654", UriKind.Relative));
        var replay = await node.Admin.PostAsJsonAsync(new Uri("/ops/dead-letters/replay", UriKind.Relative), new { ids = new[] { 987654, 987655 } });
        var group = await node.Admin.PostAsJsonAsync(new Uri("/ops/dead-letters/replay", UriKind.Relative), new { group = "0123456789abcdef" });

        await AssertProblemAsync(show, HttpStatusCode.NotFound, "id", "987654");
        await AssertProblemAsync(replay, HttpStatusCode.NotFound, "ids", "987654, 987655");
        await AssertProblemAsync(group, HttpStatusCode.NotFound, "group", "0123456789abcdef");
    }

    [Theory]
    [InlineData("/ops/dead-letters?limit=abc", "limit")]
    [InlineData("/ops/dead-letters?limit=0", "limit")]
    [InlineData("/ops/dead-letters?since=yesterday", "since")]
    [InlineData("/ops/dead-letters?status=lost", "status")]
    [InlineData("/ops/dead-letters?group=xyz", "group")]
    [InlineData("/ops/dead-letters/abc", "id")]
    [InlineData("/ops/dead-letters/history?limit=5000", "limit")]
    public async Task BadQueryParametersAreBadRequestProblemsNamingTheField(string path, string field)
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var node = await world.StartOpsNodeAsync();

        await AssertProblemAsync(await node.Admin.GetAsync(new Uri(path, UriKind.Relative)), HttpStatusCode.BadRequest, field, null);
    }

    [Fact]
    public async Task BadReplayAndPurgeBodiesAreBadRequestProblemsNamingTheField()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var node = await world.StartOpsNodeAsync();
        async Task<HttpResponseMessage> Post(string action, object body) =>
            await node.Admin.PostAsJsonAsync(new Uri($"/ops/dead-letters/{action}", UriKind.Relative), body);

        await AssertProblemAsync(await Post("replay", new { }), HttpStatusCode.BadRequest, "selection", "ids, group or all");
        await AssertProblemAsync(await Post("replay", new { ids = new[] { 1 }, all = true }), HttpStatusCode.BadRequest, "selection", "only one");
        await AssertProblemAsync(await Post("replay", new { ids = new[] { 1 }, type = "ProductUpdated" }), HttpStatusCode.BadRequest, "ids", "filters");
        await AssertProblemAsync(await Post("replay", new { all = true, since = "soon" }), HttpStatusCode.BadRequest, "since", "soon");
        await AssertProblemAsync(await Post("purge", new { all = true }), HttpStatusCode.BadRequest, "confirm", "confirm");
        var malformed = await node.Admin.PostAsync(
            new Uri("/ops/dead-letters/replay", UriKind.Relative), new StringContent("{\"ids\": [1,", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ListFiltersByTypeExceptionTimeAndGroup()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var old = await consumer.PublishProductUpdatedAsync(1);
        await consumer.PublishProductUpdatedAsync(2);
        await consumer.PublishInvalidationRequestedAsync("price import");
        await world.PublishRawAsync("garbage"u8.ToArray());
        await world.WaitForStoredAsync(4);
        await world.ExecuteAsync($"UPDATE invalidator.dead_letters SET first_failed_at = now() - interval '3 days', last_failed_at = now() - interval '3 days' WHERE message_id = '{old}'");
        async Task<DeadLetterPage> List(string query) => await node.GetAsync<DeadLetterPage>("/ops/dead-letters" + query);

        Assert.Equal(4, (await List("")).Total);
        Assert.Equal(2, (await List("?type=ProductUpdated")).Total);
        Assert.Equal(2, (await List("?type=Platform.Contracts.Catalog.ProductUpdated")).Total);
        Assert.Equal(1, (await List("?exception=TimeoutException")).Total);
        Assert.Equal(2, (await List("?exception=System.InvalidOperationException")).Total);
        Assert.Equal(3, (await List("?since=1d")).Total);
        Assert.Equal(0, (await List($"?since={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(1).ToString("O"))}")).Total);
        var limited = await List("?limit=1");
        Assert.Equal((4, 1), (limited.Total, limited.Items.Count));
        var timeouts = Assert.Single((await List("?exception=TimeoutException")).Items);
        Assert.Equal(1, (await List($"?group={timeouts.Fingerprint}")).Total);
        Assert.Equal(0, (await List("?type=ProductDeleted")).Total);
    }

    [Fact]
    public async Task GroupsCountFailuresByFingerprintWithFirstAndLastSeen()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        for (var i = 0; i < 3; i++)
        {
            await consumer.PublishProductUpdatedAsync(i);
        }

        await consumer.PublishInvalidationRequestedAsync("a");
        await consumer.PublishInvalidationRequestedAsync("b");
        await world.PublishRawAsync("garbage"u8.ToArray());
        await world.WaitForStoredAsync(6);

        var groups = await node.GetAsync<List<DeadLetterGroup>>("/ops/dead-letters/groups");

        Assert.Equal([3L, 2L, 1L], groups.Select(g => g.Count));
        Assert.Equal(3, groups.Select(g => g.Fingerprint).Distinct().Count());
        Assert.Equal(("System.InvalidOperationException", "Platform.Contracts.Catalog.ProductUpdated"), (groups[0].ExceptionType, groups[0].MessageType));
        Assert.Equal("System.TimeoutException", groups[1].ExceptionType);
        Assert.Null(groups[2].MessageType);
        var firstSeen = await world.ScalarAsync<DateTime>(
            $"SELECT min(first_failed_at) FROM invalidator.dead_letters WHERE fingerprint = '{groups[0].Fingerprint}'");
        Assert.Equal(firstSeen, groups[0].FirstSeen.UtcDateTime);
        Assert.True(groups[0].LastSeen >= groups[0].FirstSeen);
        Assert.All(groups, g => Assert.Equal([world.ErrorQueue], g.Queues));
        Assert.StartsWith("eviction failed for product", groups[0].LatestExceptionMessage, StringComparison.Ordinal);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field, string? mentions)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        var reasons = problem.RootElement.GetProperty("errors").GetProperty(field);
        Assert.True(reasons.GetArrayLength() > 0, body);
        if (mentions is not null)
        {
            Assert.Contains(mentions, reasons[0].GetString(), StringComparison.Ordinal);
        }
    }
}
