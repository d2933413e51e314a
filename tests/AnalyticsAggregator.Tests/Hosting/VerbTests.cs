using Platform.Testing;

namespace AnalyticsAggregator.Tests.Hosting;

/// <summary>Runs the real binary's verbs against the fixture's database, and a bad setting against the service.</summary>
public sealed class VerbTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task RollupOnceFoldsEverythingCommittedBeforeItAndExits()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1), AnalyticsFixture.View(category, 1, daysAgo: 1));

        var (exitCode, stdout, stderr) = await RunAsync(Database(), "rollup", "--once");

        Assert.True(exitCode == 0, stderr);
        Assert.Contains("rolled up", stdout, StringComparison.Ordinal);
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today));
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today.AddDays(-1)));
    }

    [Fact]
    public async Task RecomputeRebuildsTheGivenDaysAndSaysWhatItReplaced()
    {
        var category = AnalyticsFixture.NewCategory();
        await fixture.IngestAsync(AnalyticsFixture.View(category, 1, daysAgo: 2), AnalyticsFixture.View(category, 2, daysAgo: 2));
        await fixture.RollupAsync();
        await fixture.ScalarAsync<object>($"UPDATE analytics.product_daily SET views = 99 WHERE category_id = {category}");

        var day = AnalyticsFixture.Today.AddDays(-2).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (exitCode, stdout, stderr) = await RunAsync(Database(), "recompute", "--from", day, "--to", day);

        Assert.True(exitCode == 0, stderr);
        Assert.Contains($"recomputed {day} to {day}", stdout, StringComparison.Ordinal);
        Assert.Equal(1, await fixture.ViewsAsync(category, 1, AnalyticsFixture.Today.AddDays(-2)));
    }

    [Theory]
    [InlineData("--from 2026-13-01 --to 2026-01-02", "--from must be a date")]
    [InlineData("--from 2026-01-05 --to 2026-01-02", "--from must not be after --to")]
    [InlineData("--from 2024-01-01 --to 2026-01-02", "at most 366 days")]
    [InlineData("--from 2026-01-01", "--to")]
    public async Task RecomputeRefusesABadOptionNamingIt(string args, string message)
    {
        var (exitCode, _, stderr) = await RunAsync(Database(), ["recompute", .. args.Split(' ')]);

        Assert.NotEqual(0, exitCode);
        Assert.Contains(message, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RollupWithoutOnceIsAUsageError()
    {
        var (exitCode, _, stderr) = await RunAsync(Database(), "rollup");

        Assert.Equal(2, exitCode);
        Assert.Contains("--once", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Analytics__BatchSize", "0", "Analytics:BatchSize")]
    [InlineData("Analytics__BatchSize=10000;Analytics__BatchConcurrency=7", "", "Analytics:BatchSize times BatchConcurrency")]
    [InlineData("Analytics__RollupInterval", "00:00:00", "Analytics:RollupInterval")]
    [InlineData("Analytics__QueueName", "Bad Name", "Analytics:QueueName")]
    [InlineData("Analytics__RawRetentionDays", "1", "Analytics:RawRetentionDays")]
    public async Task BadAnalyticsSettingStopsTheServiceWithOneLineNamingTheKey(string variable, string value, string key)
    {
        var environment = Database();
        foreach (var setting in value.Length == 0 ? variable.Split(';') : [$"{variable}={value}"])
        {
            environment[setting[..setting.IndexOf('=', StringComparison.Ordinal)]] = setting[(setting.IndexOf('=', StringComparison.Ordinal) + 1)..];
        }

        var (exitCode, stdout, stderr) = await RunAsync(environment);

        Assert.Equal(78, exitCode);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("analytics-aggregator: configuration error: ", line, StringComparison.Ordinal);
        Assert.Contains(key, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    private Dictionary<string, string> Database() => new()
    {
        ["ConnectionStrings__Postgres"] = fixture.Database.ConnectionString,
        ["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString(),
        ["Bus__EntityPrefix"] = fixture.BusPrefix,
    };

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Dictionary<string, string> environment, params string[] args) =>
        RunAsync(environment, (IEnumerable<string>)args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(Dictionary<string, string> environment, IEnumerable<string> args)
    {
        var run = await ServiceProcess.RunAsync(typeof(Program).Assembly.Location, environment, args);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }
}
