using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>What a checker run measured; printed to the test output and written as JSON (<c>PLATFORM_CONSISTENCY_REPORT</c>).</summary>
internal sealed record ConsistencyReport(
    DateTimeOffset FinishedAt,
    string Machine,
    string Command,
    double WorkloadSeconds,
    double BoundMs,
    double DegradedL1TtlMs,
    int HotProducts,
    int WritesCommitted,
    int WritesFailed,
    long ReadsChecked,
    int ReadsFailed,
    long StaleBeyondBound,
    double WorstStalenessMs,
    EventCounts Events,
    long EventsLost,
    bool Converged,
    double ConvergenceMs,
    IReadOnlyList<WindowReport> Windows,
    IReadOnlyList<StaleRead> StaleExamples)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>A fault that could not be injected or recovered from (named in its detail).</summary>
    public IEnumerable<WindowReport> BrokenFaults => Windows.Where(w => w.Detail?.Contains("FAILED", StringComparison.Ordinal) == true || w.Name != "baseline (no fault)" && w.HealthyAfterMs is null);

    public static ConsistencyReport Create(CheckerSettings settings, ConsistencyHistory history, Evaluation evaluation, EventCounts events, double workloadMs, bool converged, double convergenceMs, HotSet hot, bool replicated) => new(
        DateTimeOffset.UtcNow,
        $"{Environment.ProcessorCount} cores, load average {LoadAverage()}",
        replicated
            ? $"{CheckerSettings.SecondsVariable}={settings.Duration.TotalSeconds:0} ./platform test --cluster --filter FullyQualifiedName~ClusterConsistencyChecker"
            : $"{CheckerSettings.SecondsVariable}={settings.Duration.TotalSeconds:0} dotnet test tests/e2e --filter Category=Consistency",
        Math.Round(workloadMs / 1000, 1),
        settings.Bound.TotalMilliseconds,
        ConsistencyRun.DegradedL1Ttl.TotalMilliseconds,
        hot.Products.Count,
        history.WritesCommitted,
        evaluation.FailedWrites,
        evaluation.ReadsChecked,
        evaluation.FailedReads,
        evaluation.StaleBeyondBound,
        evaluation.WorstStalenessMs,
        events,
        events.Lost,
        converged,
        Math.Round(convergenceMs),
        [.. evaluation.Windows.Select(w => new WindowReport(
            w.Name,
            w.Fault is { } f ? Seconds(f.InjectedMs) : null,
            w.Fault is { RecoveredMs: { } r } f2 ? Math.Round(r - f2.InjectedMs) : null,
            w.Fault is { HealthyMs: { } h } f3 ? Math.Round(h - f3.InjectedMs) : null,
            settings.Bound.TotalMilliseconds,
            w.ReadsChecked,
            w.StaleReads,
            w.StaleBeyondBound,
            w.WorstStalenessMs,
            w.LongestRequestMs,
            w.RequestsOver250Ms,
            w.ReadQueriesPerSecond,
            w.FailedReads,
            w.FailedWrites,
            w.Fault?.Detail,
            [.. w.SlowestRequests]))],
        evaluation.Examples);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public string ToText()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"consistency checker: {WorkloadSeconds} s of workload, {HotProducts} hot products, {Machine}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  writes committed {WritesCommitted} (failed or unknown {WritesFailed}); reads checked {ReadsChecked} (failed {ReadsFailed})");
        text.AppendLine(CultureInfo.InvariantCulture, $"  bound {BoundMs} ms for every fault (a deaf node serves L1 at most {DegradedL1TtlMs} ms past the last moment it heard)");
        text.AppendLine(CultureInfo.InvariantCulture, $"  stale beyond bound {StaleBeyondBound} (target 0); worst staleness {WorstStalenessMs} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  events committed {Events.Committed}, lost {EventsLost} (target 0): not reached broker {Events.NotReachedBroker}, left in invalidator queue {Events.LeftInInvalidatorQueue}, error/skipped queue {Events.InErrorQueue}, dead-lettered {Events.DeadLettered}; moved aside {Events.MovedAside}, undispatched {Events.NotDispatched}, delivered twice {Events.DeliveredTwice}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  converged {Converged} in {ConvergenceMs} ms after the workload stopped");
        text.AppendLine("  window                                                  at s   down ms  healthy ms  bound ms    reads    stale  beyond  worst ms  longest ms  >250 ms  read q/s  failed r/w");
        foreach (var w in Windows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {w.Name,-54} {Show(w.InjectedAtSeconds),6} {Show(w.DownMs),9} {Show(w.HealthyAfterMs),11} {w.BoundMs,9} {w.ReadsChecked,8} {w.StaleReads,8} {w.StaleBeyondBound,7} {w.WorstStalenessMs,9} {w.LongestRequestMs,11} {w.RequestsOver250Ms,8} {Show(w.ReadQueriesPerSecond),8} {w.FailedReads,6}/{w.FailedWrites}  {w.Detail}");
        }

        foreach (var w in Windows.Where(w => w.SlowestRequests.Count > 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  slowest in {w.Name}: {string.Join("; ", w.SlowestRequests)}");
        }

        foreach (var s in StaleExamples)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {(s.StalenessMs > s.BoundMs ? "BEYOND" : "stale")}: product {s.Product} v{s.VersionRead} (v{s.NewestAcknowledgedVersion} acknowledged) read at {s.StartedAtSeconds} s from {s.Node} ({s.Kind}), {s.StalenessMs} ms (bound {s.BoundMs} ms), in {s.Window}");
        }

        return text.ToString();
    }

    private static string Show(double? value) => value is { } v ? v.ToString(CultureInfo.InvariantCulture) : "-";

    private static double Seconds(double ms) => Math.Round(ms / 1000, 1);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}

/// <summary>One fault window (from its injection to the next one) or the baseline before the first fault.</summary>
internal sealed record WindowReport(
    string Name,
    double? InjectedAtSeconds,
    double? DownMs,
    double? HealthyAfterMs,
    double BoundMs,
    long ReadsChecked,
    long StaleReads,
    long StaleBeyondBound,
    double WorstStalenessMs,
    double LongestRequestMs,
    long RequestsOver250Ms,
    double? ReadQueriesPerSecond,
    int FailedReads,
    int FailedWrites,
    string? Detail,
    IReadOnlyList<string> SlowestRequests);
