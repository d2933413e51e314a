using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Operations;

namespace Platform.DeadLetters.Tests.Operations;

/// <summary>Purge marks rows purged (kept for the audit trail), only with explicit consent for bulk, and records it.</summary>
public sealed class DeadLetterPurgeTests
{
    [Fact]
    public async Task PurgeAllWithoutYesIsRefusedAndChangesNothing()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        await consumer.PublishProductUpdatedAsync(1);
        await consumer.PublishProductUpdatedAsync(2);
        await world.WaitForStoredAsync(2);

        var refused = await world.CliAsync("purge", "--all");

        Assert.Equal(DeadLetterCommands.UsageError, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        Assert.Equal(2, await world.CountAsync(DeadLetterStatus.Stored));
        Assert.Equal(0L, await world.ScalarAsync<long>("SELECT count(*) FROM invalidator.dead_letter_history"));
    }

    [Fact]
    public async Task PurgeAllWithYesPurgesEveryStoredRowAndRecordsIt()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        await consumer.PublishProductUpdatedAsync(1);
        await consumer.PublishInvalidationRequestedAsync("x");
        await world.WaitForStoredAsync(2);

        var purged = await world.CliAsync("purge", "--all", "--yes", "--actor", "bob", "--json");

        Assert.True(purged.ExitCode == 0, purged.Error);
        Assert.Equal(2, purged.Json().GetProperty("succeeded").GetInt32());
        Assert.Equal(2, await world.CountAsync(DeadLetterStatus.Purged));
        Assert.Equal(0, await world.CountAsync(DeadLetterStatus.Stored));
        var history = (await world.CliAsync("history", "--json")).Json()[0];
        Assert.Equal(("bob", "purge", 2), (history.GetProperty("actor").GetString(), history.GetProperty("action").GetString(), history.GetProperty("succeeded").GetInt32()));
        Assert.Equal(0, (await world.CliAsync("list", "--json")).Json().GetProperty("total").GetInt64());
        Assert.Equal(2, (await world.CliAsync("list", "--status", "purged", "--json")).Json().GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task PurgeByIdOverHttpPurgesThatRowOnly()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var gone = await consumer.PublishProductUpdatedAsync(1);
        var kept = await consumer.PublishProductUpdatedAsync(2);
        await world.WaitForStoredAsync(2);
        var row = await world.RowAsync(gone.ToString());

        var result = await node.PostAsync("/ops/dead-letters/purge", new { ids = new[] { row.Id } });

        Assert.Equal((1, 1, false), (result.Selected, result.Succeeded, result.DryRun));
        Assert.Equal(DeadLetterStatus.Purged, (await world.RowAsync(gone.ToString())).Status);
        Assert.Equal(DeadLetterStatus.Stored, (await world.RowAsync(kept.ToString())).Status);
        var history = Assert.Single(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
        Assert.Equal(("ops", "http", "purge"), (history.Actor, history.Origin, history.Action));
        Assert.Equal([row.Id], history.DeadLetterIds);
    }

    [Fact]
    public async Task PurgeDryRunOfAGroupNeedsNoYesAndChangesNothing()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        await consumer.PublishProductUpdatedAsync(1);
        await world.WaitForStoredAsync(1);
        var group = await world.ScalarAsync<string>("SELECT fingerprint FROM invalidator.dead_letters");

        var dryRun = await world.CliAsync("purge", "--group", group, "--dry-run", "--json");

        Assert.True(dryRun.ExitCode == 0, dryRun.Error);
        Assert.Equal("would-purge", dryRun.Json().GetProperty("items")[0].GetProperty("outcome").GetString());
        Assert.Equal(1, await world.CountAsync(DeadLetterStatus.Stored));
    }
}
