using System.Globalization;
using Platform.DeadLetters.Cli;

namespace Platform.DeadLetters.Tests.Cli;

/// <summary>The dlq verbs: tables by default, JSON for scripts, and the documented exit codes.</summary>
public sealed class DeadLetterCliTests
{
    [Theory]
    [InlineData("--bogus", "list", "--bogus")]
    [InlineData("--limit", "list", "--limit", "abc")]
    [InlineData("--since", "list", "--since", "last tuesday")]
    [InlineData("--status", "list", "--status", "lost")]
    [InlineData("ID: must be a positive whole number, not 'abc'", "show", "abc")]
    [InlineData("ID: must be a positive whole number, not 'x'", "replay", "1", "x")]
    [InlineData("ID…, --group or --all", "replay")]
    [InlineData("ID…, --group or --all", "replay", "--all", "--group", "0123456789abcdef")]
    [InlineData("--group", "purge", "--group", "nothex", "--yes")]
    [InlineData("--actor: must be 1-200 characters", "replay", "--all", "--actor", " ")]
    [InlineData("verb", "lst")]
    [InlineData("choose a verb")]
    public async Task BadInputIsAUsageErrorNamingIt(string named, params string[] args)
    {
        // No servers needed: usage is checked before anything connects.
        var cli = await DeadLetterHarness.CliAsync(new Dictionary<string, string?>(), args);

        Assert.Equal(DeadLetterCommands.UsageError, cli.ExitCode);
        Assert.Contains(named, cli.Error, StringComparison.Ordinal);
        Assert.StartsWith("cache-invalidator dlq", cli.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownIdExitsWithNotFound()
    {
        await using var world = await DeadLetterHarness.CreateAsync();

        var show = await world.CliAsync("show", "424242");
        var replay = await world.CliAsync("replay", "424242", "424243");
        var purge = await world.CliAsync("purge", "--group", "0123456789abcdef", "--yes");

        Assert.Equal((DeadLetterCommands.NotFound, DeadLetterCommands.NotFound, DeadLetterCommands.NotFound), (show.ExitCode, replay.ExitCode, purge.ExitCode));
        Assert.Contains("no dead letter has id 424242", show.Error, StringComparison.Ordinal);
        Assert.Contains("424242, 424243", replay.Error, StringComparison.Ordinal);
        Assert.Contains("0123456789abcdef", purge.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConnectionStringIsAConfigurationError()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var settings = world.Settings();
        settings["ConnectionStrings:Postgres"] = "";
        var noBroker = world.Settings();
        noBroker["ConnectionStrings:RabbitMq"] = "";

        var list = await DeadLetterHarness.CliAsync(settings, "list");
        var replay = await DeadLetterHarness.CliAsync(noBroker, "replay", "--all");
        var listWithoutBroker = await DeadLetterHarness.CliAsync(noBroker, "list");

        Assert.Equal(78, list.ExitCode);
        Assert.Equal(78, replay.ExitCode);
        Assert.Equal(0, listWithoutBroker.ExitCode);
    }

    [Fact]
    public async Task JsonOutputParsesForEveryReadingVerb()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        var id = await consumer.PublishProductUpdatedAsync(77);
        await world.WaitForStoredAsync(1);
        var row = await world.RowAsync(id.ToString());

        var list = await world.CliAsync("list", "--type", "ProductUpdated", "--json");
        var groups = await world.CliAsync("groups", "--json");
        var show = await world.CliAsync("show", row.Id.ToString(CultureInfo.InvariantCulture), "--json");
        var history = await world.CliAsync("history", "--json");

        Assert.All([list, groups, show, history], r => Assert.True(r.ExitCode == 0, r.Error));
        Assert.Equal(id.ToString(), list.Json().GetProperty("items")[0].GetProperty("messageId").GetString());
        Assert.Equal(1, groups.Json()[0].GetProperty("count").GetInt64());
        Assert.Equal("eviction failed for product 77", show.Json().GetProperty("deadLetter").GetProperty("exceptionMessage").GetString());
        Assert.Equal("fault", show.Json().GetProperty("headers").GetProperty("MT-Reason").GetString());
        Assert.Equal(0, history.Json().GetArrayLength());
    }

    [Fact]
    public async Task TablesAreTheDefaultOutput()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        var id = await consumer.PublishProductUpdatedAsync(78);
        await world.WaitForStoredAsync(1);
        var row = await world.RowAsync(id.ToString());

        var list = await world.CliAsync("list");
        var groups = await world.CliAsync("groups");
        var show = await world.CliAsync("show", row.Id.ToString(CultureInfo.InvariantCulture));

        Assert.Contains("ProductUpdated", list.Output, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", list.Output, StringComparison.Ordinal);
        Assert.Contains("1 dead letter(s).", list.Output, StringComparison.Ordinal);
        Assert.Contains(await world.ScalarAsync<string>("SELECT fingerprint FROM invalidator.dead_letters"), groups.Output, StringComparison.Ordinal);
        Assert.Contains("MT-Fault-StackTrace", show.Output, StringComparison.Ordinal);
        Assert.Contains("\"productId\": 78", show.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", list.Output + groups.Output + show.Output, StringComparison.Ordinal);
    }
}
