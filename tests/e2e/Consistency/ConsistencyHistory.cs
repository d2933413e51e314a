using System.Collections.Concurrent;
using System.Diagnostics;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// What happened, on one monotonic clock (milliseconds since the run started): every committed version with the
/// moment its writer got the acknowledgement, every read with the moment it started and the version it returned,
/// and the faults. <see cref="Evaluate"/> checks each read against the commits acknowledged before it started.
/// </summary>
internal sealed class ConsistencyHistory
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ConcurrentDictionary<long, List<Commit>> _commits = new();
    private readonly ConcurrentQueue<Read> _reads = new();
    private readonly ConcurrentQueue<double> _failedReads = new();
    private readonly ConcurrentQueue<double> _failedWrites = new();
    private readonly ConcurrentQueue<(double StartedMs, double DurationMs, string What)> _requests = new();
    private readonly List<FaultWindow> _faults = [];

    public double NowMs => _clock.Elapsed.TotalMilliseconds;

    public IReadOnlyList<FaultWindow> Faults => _faults;

    public int WritesCommitted => _commits.Values.Sum(c => { lock (c) { return c.Count; } });

    /// <summary>The highest acknowledged version of each product.</summary>
    public IReadOnlyDictionary<long, int> LastAcknowledged => _commits.ToDictionary(p => p.Key, p => { lock (p.Value) { return p.Value.Count == 0 ? 0 : p.Value[^1].Version; } });

    public void Committed(long product, int version, double acknowledgedMs)
    {
        var list = _commits.GetOrAdd(product, _ => []);
        lock (list)
        {
            list.Add(new Commit(version, acknowledgedMs));
        }
    }

    public void Observed(long product, int version, double startedMs, string node, ReadKind kind) =>
        _reads.Enqueue(new Read(product, version, startedMs, node, kind));

    public void ReadFailed(double startedMs) => _failedReads.Enqueue(startedMs);

    public void WriteFailed(double startedMs) => _failedWrites.Enqueue(startedMs);

    /// <summary>Any request, read or write, answered or not: how long it took from its start, and what it was (kind, node, outcome).</summary>
    public void Timed(double startedMs, string what) => _requests.Enqueue((startedMs, NowMs - startedMs, what));

    public FaultWindow BeginFault(string name)
    {
        var fault = new FaultWindow(name, NowMs);
        lock (_faults)
        {
            _faults.Add(fault);
        }

        return fault;
    }

    /// <summary>
    /// Staleness of a read = its start minus the acknowledgement of the oldest newer version acknowledged before it
    /// started (0 when it returned the newest acknowledged version). It is stale beyond the bound when that exceeds
    /// <paramref name="bound"/>: one bound for every fault (issue 14).
    /// </summary>
    public Evaluation Evaluate(TimeSpan bound, double? baselineReadQueriesPerSecond, int examples = 20)
    {
        var commits = _commits.ToDictionary(p => p.Key, p => { lock (p.Value) { return p.Value.OrderBy(c => c.Version).ToArray(); } });
        var faults = _faults.OrderBy(f => f.InjectedMs).ToArray();
        var baseline = new WindowStats("baseline (no fault)", null) { ReadQueriesPerSecond = baselineReadQueriesPerSecond };
        var windows = faults.Select(f => new WindowStats(f.Name, f)).ToArray();
        var stale = new List<StaleRead>();
        long checkedReads = 0, beyond = 0;
        double worst = 0;
        var limit = bound.TotalMilliseconds;

        foreach (var read in _reads)
        {
            checkedReads++;
            var window = WindowOf(read.StartedMs);
            var staleness = Staleness(commits, read, out var newer);
            window.Add(staleness, staleness > limit);
            worst = Math.Max(worst, staleness);
            beyond += staleness > limit ? 1 : 0;
            if (staleness > 0)
            {
                stale.Add(new StaleRead(read.Product, read.Version, newer, Math.Round(read.StartedMs / 1000, 3), Math.Round(staleness), limit, read.Node, read.Kind.ToString(), window.Name));
            }
        }

        foreach (var (started, duration, what) in _requests)
        {
            WindowOf(started).AddRequest(started, duration, what);
        }

        foreach (var started in _failedReads)
        {
            WindowOf(started).FailedReads++;
        }

        foreach (var started in _failedWrites)
        {
            WindowOf(started).FailedWrites++;
        }

        // The evidence: every read beyond its bound first, then the stalest of the rest.
        var shown = stale.OrderByDescending(r => r.StalenessMs > r.BoundMs).ThenByDescending(r => r.StalenessMs).Take(examples).ToList();
        return new Evaluation(checkedReads, beyond, Math.Round(worst), _failedReads.Count, _failedWrites.Count, [baseline, .. windows], shown);

        WindowStats WindowOf(double ms)
        {
            for (var i = faults.Length - 1; i >= 0; i--)
            {
                if (faults[i].InjectedMs <= ms)
                {
                    return windows[i];
                }
            }

            return baseline;
        }
    }

    private static double Staleness(Dictionary<long, Commit[]> commits, Read read, out int newerVersion)
    {
        newerVersion = 0;
        if (!commits.TryGetValue(read.Product, out var history))
        {
            return 0;
        }

        // Versions of one product are written one after another, so acknowledgements grow with the version: the
        // first newer version is also the first acknowledged one.
        var index = Array.FindIndex(history, c => c.Version > read.Version);
        if (index < 0 || history[index].AcknowledgedMs >= read.StartedMs)
        {
            return 0;
        }

        newerVersion = history[^1].Version;
        for (var i = history.Length - 1; i >= index; i--)
        {
            if (history[i].AcknowledgedMs < read.StartedMs)
            {
                newerVersion = history[i].Version;
                break;
            }
        }

        return read.StartedMs - history[index].AcknowledgedMs;
    }

    private readonly record struct Commit(int Version, double AcknowledgedMs);

    private readonly record struct Read(long Product, int Version, double StartedMs, string Node, ReadKind Kind);
}

internal enum ReadKind
{
    Item,
    List,
}

/// <summary>One injected fault: when it started, when the broken part answered again, when every service was Healthy.</summary>
internal sealed class FaultWindow(string name, double injectedMs)
{
    public string Name { get; } = name;

    public double InjectedMs { get; } = injectedMs;

    public double? RecoveredMs { get; set; }

    public double? HealthyMs { get; set; }

    /// <summary>Cache factory runs (PostgreSQL queries for reads) per second over both catalog nodes, from the injection until the broken part answered again.</summary>
    public double? ReadQueriesPerSecond { get; set; }

    public string? Detail { get; set; }
}

/// <summary>Reads of one window: from a fault's injection to the next fault's (or the run's end).</summary>
internal sealed class WindowStats(string name, FaultWindow? fault)
{
    public string Name { get; } = name;

    /// <summary>PostgreSQL queries for reads per second: the fault's, or for the baseline the quiet time before the first fault.</summary>
    public double? ReadQueriesPerSecond { get; set; } = fault?.ReadQueriesPerSecond;

    public FaultWindow? Fault { get; } = fault;

    public long ReadsChecked { get; private set; }

    public long StaleBeyondBound { get; private set; }

    public double WorstStalenessMs { get; private set; }

    public long StaleReads { get; private set; }

    public int FailedReads { get; set; }

    public int FailedWrites { get; set; }

    /// <summary>The slowest request (read or write) that started in the window, answered or not.</summary>
    public double LongestRequestMs { get; private set; }

    /// <summary>Requests that took longer than the most a request may wait on Redis (250 ms), whatever held them.</summary>
    public long RequestsOver250Ms { get; private set; }

    /// <summary>The slowest requests over 250 ms (at most five), slowest first: which kind, on which node, when.</summary>
    public IReadOnlyList<string> SlowestRequests => [.. _slowest.OrderByDescending(r => r.DurationMs).Take(5).Select(r => r.Text)];

    private readonly List<(double DurationMs, string Text)> _slowest = [];

    public void AddRequest(double startedMs, double durationMs, string what)
    {
        LongestRequestMs = Math.Max(LongestRequestMs, Math.Round(durationMs));
        RequestsOver250Ms += durationMs > 250 ? 1 : 0;
        if (durationMs > 250)
        {
            _slowest.Add((durationMs, $"{what} started at {Math.Round(startedMs / 1000, 3)} s: {Math.Round(durationMs)} ms"));
        }
    }

    public void Add(double staleness, bool beyondBound)
    {
        ReadsChecked++;
        WorstStalenessMs = Math.Max(WorstStalenessMs, Math.Round(staleness));
        StaleReads += staleness > 0 ? 1 : 0;
        StaleBeyondBound += beyondBound ? 1 : 0;
    }
}

/// <summary>A read that returned an older version than one acknowledged before it started.</summary>
internal sealed record StaleRead(long Product, int VersionRead, int NewestAcknowledgedVersion, double StartedAtSeconds, double StalenessMs, double BoundMs, string Node, string Kind, string Window);

internal sealed record Evaluation(long ReadsChecked, long StaleBeyondBound, double WorstStalenessMs, int FailedReads, int FailedWrites, IReadOnlyList<WindowStats> Windows, IReadOnlyList<StaleRead> Examples);
