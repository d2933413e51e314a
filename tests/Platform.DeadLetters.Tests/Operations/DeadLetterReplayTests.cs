using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Operations;
using Platform.Testing;

namespace Platform.DeadLetters.Tests.Operations;

/// <summary>Replay sends stored messages back to their queue, marks them only once the broker confirmed, and audits who did it.</summary>
public sealed class DeadLetterReplayTests
{
    [Fact]
    public async Task ReplayMovesMessageBackToItsQueue()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var id = await consumer.PublishProductUpdatedAsync(5);
        await world.WaitForStoredAsync(1);
        var row = await world.RowAsync(id.ToString());

        consumer.Behaviour.Fail = false;
        var result = await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { row.Id } });

        Assert.Equal((1, 1, 0, 0), (result.Selected, result.Succeeded, result.Failed, result.Skipped));
        await consumer.Behaviour.WaitForAsync([id]);
        var after = await world.RowAsync(id.ToString());
        Assert.Equal(DeadLetterStatus.Replayed, after.Status);
        Assert.Equal(1, after.ReplayCount);
        Assert.Equal("ops", after.LastReplayedBy);

        var history = Assert.Single(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
        Assert.Equal(("ops", "http", "replay", 1, 1, 0), (history.Actor, history.Origin, history.Action, history.Selected, history.Succeeded, history.Failed));
        Assert.Equal([row.Id], history.DeadLetterIds);
        Assert.NotNull(history.FinishedAt);
        Assert.InRange(history.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(5));
    }

    [Fact]
    public async Task ReplayOfAGroupReplaysThatGroupOnly()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var products = new[] { await consumer.PublishProductUpdatedAsync(1), await consumer.PublishProductUpdatedAsync(2), await consumer.PublishProductUpdatedAsync(3) };
        var requests = new[] { await consumer.PublishInvalidationRequestedAsync("a"), await consumer.PublishInvalidationRequestedAsync("b") };
        await world.WaitForStoredAsync(5);
        var group = (await node.GetAsync<List<DeadLetterGroup>>("/ops/dead-letters/groups")).Single(g => g.Count == 3).Fingerprint;

        consumer.Behaviour.Fail = false;
        var result = await node.PostAsync("/ops/dead-letters/replay", new { group });

        Assert.Equal((3, 3, 0), (result.Selected, result.Succeeded, result.Failed));
        await consumer.Behaviour.WaitForAsync(products);
        Assert.All(requests, r => Assert.Equal(0, consumer.Behaviour.Deliveries(r)));
        foreach (var r in requests)
        {
            Assert.Equal(DeadLetterStatus.Stored, (await world.RowAsync(r.ToString())).Status);
        }

        var history = Assert.Single(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
        Assert.Equal(group, history.Selection["group"]!.GetValue<string>());
        Assert.Equal(3, history.Succeeded);
    }

    [Fact]
    public async Task ReplayAllFromTheCliReplaysEveryStoredMessageAndRecordsTheActor()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 8; i++)
        {
            ids.Add(await consumer.PublishProductUpdatedAsync(i));
        }

        await world.WaitForStoredAsync(8);
        consumer.Behaviour.Fail = false;

        var cli = await world.CliAsync("replay", "--all", "--actor", "alice", "--json");

        Assert.True(cli.ExitCode == 0, cli.Error);
        var json = cli.Json();
        Assert.Equal(8, json.GetProperty("succeeded").GetInt32());
        Assert.Equal(0, json.GetProperty("failed").GetInt32());
        await consumer.Behaviour.WaitForAsync(ids);
        Assert.Equal(8, await world.CountAsync(DeadLetterStatus.Replayed));
        var history = (await world.CliAsync("history", "--json")).Json()[0];
        Assert.Equal("alice", history.GetProperty("actor").GetString());
        Assert.Equal("cli", history.GetProperty("origin").GetString());
        Assert.True(history.GetProperty("selection").GetProperty("all").GetBoolean());
        Assert.Equal(8, history.GetProperty("deadLetterIds").GetArrayLength());
    }

    [Fact]
    public async Task DryRunReportsWhatWouldBeReplayedAndChangesNothing()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        await consumer.PublishProductUpdatedAsync(1);
        await consumer.PublishProductUpdatedAsync(2);
        await world.WaitForStoredAsync(2);
        // With nobody consuming, anything published would stay in the queue to be seen.
        await consumer.DisposeAsync();

        var http = await node.PostAsync("/ops/dead-letters/replay", new { all = true, dryRun = true });
        var cli = await world.CliAsync("replay", "--all", "--dry-run", "--json");

        Assert.Equal(0, cli.ExitCode);
        Assert.True(http.DryRun);
        Assert.Equal(2, http.Selected);
        Assert.All(http.Items, i => Assert.Equal("would-replay", i.Outcome));
        Assert.Equal(2, cli.Json().GetProperty("selected").GetInt32());
        Assert.Equal(0u, await world.QueueDepthAsync(world.InputQueue));
        Assert.Equal(2, await world.CountAsync(DeadLetterStatus.Stored));
        Assert.Equal(0L, await world.ScalarAsync<long>("SELECT count(*) FROM invalidator.dead_letters WHERE replay_count > 0"));
        Assert.Empty(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
    }

    [Fact]
    public async Task ReplayedMessageThatFailsAgainIsStoredAgainWithItsReplayCountKept()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var id = await consumer.PublishProductUpdatedAsync(9);
        await world.WaitForStoredAsync(1);
        var first = await world.RowAsync(id.ToString());

        await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { first.Id } });

        await Eventually.TrueAsync(async () => (await world.RowAsync(id.ToString())).FailureCount == 2, DeadLetterHarness.Patience, "second failure stored");
        var again = await world.RowAsync(id.ToString());
        Assert.Equal(first.Id, again.Id);
        Assert.Equal(DeadLetterStatus.Stored, again.Status);
        Assert.Equal(1, again.ReplayCount);
        Assert.Equal(first.FirstFailedAt, again.FirstFailedAt);
        Assert.True(again.LastFailedAt > first.LastFailedAt, $"last failure {again.LastFailedAt:O} after the first {first.LastFailedAt:O}");
        Assert.Equal(1L, await world.ScalarAsync<long>("SELECT count(*) FROM invalidator.dead_letters"));
    }

    [Fact]
    public async Task RawMessageThatFailsAgainAfterReplayLandsOnTheSameRow()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        await world.PublishRawAsync("not json"u8.ToArray());
        await world.WaitForStoredAsync(1);
        var id = await world.ScalarAsync<long>("SELECT id FROM invalidator.dead_letters");

        var cli = await world.CliAsync("replay", id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(cli.ExitCode == 0, cli.Error);
        Assert.Contains("Replayed 1, failed 0", cli.Output, StringComparison.Ordinal);
        await Eventually.TrueAsync(
            async () => await world.ScalarAsync<int>($"SELECT failure_count FROM invalidator.dead_letters WHERE id = {id}") == 2,
            DeadLetterHarness.Patience, "the same body failing again counted on its row");
        Assert.Equal(1L, await world.ScalarAsync<long>("SELECT count(*) FROM invalidator.dead_letters"));
    }

    [Fact]
    public async Task ReplayToAQueueThatNoLongerExistsFailsAndLeavesTheRowStored()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var id = await consumer.PublishProductUpdatedAsync(3);
        await world.WaitForStoredAsync(1);
        await consumer.DisposeAsync();
        await world.DeleteQueueAsync(world.InputQueue);

        var cli = await world.CliAsync("replay", "--all");

        Assert.Equal(DeadLetterCommands.PartialFailure, cli.ExitCode);
        Assert.Contains("does not exist (the broker returned the message unroutable)", cli.Output, StringComparison.Ordinal);
        var row = await world.RowAsync(id.ToString());
        Assert.Equal((DeadLetterStatus.Stored, 0), (row.Status, row.ReplayCount));
        var history = Assert.Single(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
        Assert.Equal((1, 0, 1), (history.Selected, history.Succeeded, history.Failed));
        Assert.Empty(history.DeadLetterIds);
    }
}
