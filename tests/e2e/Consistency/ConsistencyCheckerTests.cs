using Xunit.Abstractions;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// The consistency checker (docs/reliability.md): writers and readers on both catalog nodes while Redis, RabbitMQ, the
/// invalidator and the active relay node are killed and restarted and Redis is frozen, all on servers of the test's
/// own. Short by default (inside <c>./platform test</c>); <c>PLATFORM_CONSISTENCY_SECONDS</c> makes it a long run and
/// <c>PLATFORM_CONSISTENCY_REPORT</c> names a file for the JSON report.
/// </summary>
public sealed class ConsistencyCheckerTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Consistency")]
    public Task ReadsStayWithinTheBoundLoseNoEventAndConvergeThroughEveryFault() => CheckAsync(output, replicated: false);

    /// <summary>Runs the checker on a cluster of its own (or single servers) and asserts the report's targets.</summary>
    internal static async Task CheckAsync(ITestOutputHelper output, bool replicated)
    {
        var settings = CheckerSettings.FromEnvironment();
        await using var cluster = await ConsistencyCluster.StartAsync(output, replicated);
        ConsistencyReport report;
        try
        {
            report = await new ConsistencyRun(cluster, settings, output).RunAsync();
        }
        catch
        {
            cluster.DumpLogs();
            throw;
        }

        output.WriteLine(report.ToText());
        if (settings.ReportPath is { } path)
        {
            await File.WriteAllTextAsync(path, report.ToJson());
        }

        if (report.StaleBeyondBound > 0 || report.EventsLost > 0 || !report.Converged || report.BrokenFaults.Any())
        {
            cluster.DumpLogs();
        }

        Assert.Empty(report.BrokenFaults);
        Assert.True(report.StaleBeyondBound == 0, $"{report.StaleBeyondBound} reads were stale beyond the bound (worst {report.WorstStalenessMs} ms); see the report above");
        Assert.True(report.EventsLost == 0, $"{report.EventsLost} of {report.Events.Committed} events did not reach the invalidator's effect: {report.Events}");
        Assert.True(report.Converged, $"the nodes did not all serve the last committed versions within the deadline ({report.ConvergenceMs} ms)");
        // Each Redis call waits at most 250 ms (ADR 013), so a Redis fault must not hold a request for seconds. Until the
        // services' thread pool started with 8 workers a Sentinel fail-over stalled every request in flight for 2.6-4.6 s.
        foreach (var window in report.Windows.Where(w => w.Name.StartsWith("redis", StringComparison.Ordinal)))
        {
            Assert.True(window.LongestRequestMs <= RedisFaultLongestRequest.TotalMilliseconds,
                $"{window.Name}: a request took {window.LongestRequestMs} ms (at most {RedisFaultLongestRequest.TotalMilliseconds} ms); slowest: {string.Join("; ", window.SlowestRequests)}");
        }
    }

    /// <summary>
    /// The longest a request may take while Redis fails. Measured with the fix: 37-64 ms on a quiet machine, 814 ms in the
    /// fresh-clone CI run (the whole suite in parallel); without it 1,816-4,625 ms here and 2,795 ms in CI. 2 s keeps
    /// the CI run clear of noise and still fails on the multi-second stalls.
    /// </summary>
    private static readonly TimeSpan RedisFaultLongestRequest = TimeSpan.FromSeconds(2);
}
