using System.Diagnostics;
using System.Globalization;
using Platform.Benchmarks.Support;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// <c>suite [--quick] [--long] [--only NAMES] [--out DIR] [--check]</c>: the body of <c>./platform bench</c>, which
/// keeps only what is process and server management (servers and services up, wrk installed, the Release build,
/// the environment). Runs each step of <see cref="SuitePlan"/> as a child process with its timeout, its output in a
/// log, then merges everything into <c>DIR/&lt;UTC time&gt;.json</c> and <c>.md</c> (<see cref="SuiteReport"/>).
/// <c>--check</c> only validates the options (the script calls it before it starts anything).
/// </summary>
internal static class SuiteCommand
{
    public const string Help = """
        usage: ./platform bench [--quick] [--long [--cluster]] [--only NAME,...] [--out DIR]
        Make sure the servers and services are up (./platform up when they are not), build the benchmarks
        (Release), run each one in turn against the local system, then write DIR/<UTC time>.json (every
        figure with its load average, the machine, server versions, commit) and DIR/<UTC time>.md (the
        tables; a figure with a baseline shows value ÷ baseline, both measured in this run). A failed
        benchmark is reported as failed and the others still run; the exit code is then 1.
          --quick          small counts: about 5 minutes in all (the full run takes about 15 here; timeouts allow more);
                           with --long the long suites run at their short sizes
          --long           also run the long consistency checker (600 s) and the long bad-input suite
                           (2,000 cases per endpoint); fusion-peer counts its coherence scenarios over 20 trials
          --cluster        with --long: also the consistency checker against a cluster it starts itself (3 RabbitMQ
                           nodes, Redis primary + replica + 3 Sentinels; 600 s; docs/scaling.md); alone:
                           ./platform bench --long --cluster --only cluster-consistency
          --only NAMES     comma-separated names from: {0}
                           (and with --long: {1})
          --out DIR        where the results go (default bench/results, git-ignored)
        One benchmark alone: dotnet run -c Release --project tests/benchmarks -- NAME [options] (see bench/README.md).
        """;

    public static async Task<int> RunAsync(BenchOptions options)
    {
        if (options.Flag("--help") || options.Flag("-h"))
        {
            Console.WriteLine(string.Format(CultureInfo.InvariantCulture, Help, string.Join(' ', SuitePlan.Runners), string.Join(' ', SuitePlan.LongRuns)));
            return 0;
        }

        var quick = options.Flag("--quick");
        var longRun = options.Flag("--long");
        var cluster = options.Flag("--cluster");
        var selected = SuitePlan.Select(options.Text("--only"), longRun, cluster);
        var root = Repository.Root();
        var output = Path.GetFullPath(options.Text("--out") ?? Path.Combine(root, "bench", "results"));
        var check = options.Flag("--check");
        options.EnsureAllUsed();
        var steps = selected.Select(name => SuitePlan.Step(name, quick, longRun, root)).ToList();
        if (check)
        {
            return 0;
        }

        var wall = Stopwatch.StartNew();
        var stamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH-mm-ssZ", CultureInfo.InvariantCulture);
        var parts = Path.Combine(root, ".platform", "bench", stamp);
        Directory.CreateDirectory(parts);
        Directory.CreateDirectory(output);
        string ReportFile(string name) => Path.Combine(output, $"{stamp}-{name}.json");
        var loadBefore = Machine.LoadAverage();
        Step($"benchmark run {stamp} ({(quick ? "quick" : "full")}{(longRun ? ", long" : "")}): {string.Join(' ', selected)}; load average {loadBefore}");

        var runs = new List<SuiteRun>();
        foreach (var step in steps)
        {
            runs.Add(await RunStepAsync(step, quick, parts, ReportFile(step.Name)));
        }

        Step("report");
        var versions = await ServerVersions.ReadAsync(root);
        return await SuiteReport.WriteAsync(new SuiteReportInput(
            runs, Path.Combine(output, stamp), stamp, quick, longRun, longRun ? ReportFile : null, versions,
            loadBefore, Machine.LoadAverage(), (int)wall.Elapsed.TotalSeconds));
    }

    private static async Task<SuiteRun> RunStepAsync(SuiteStep step, bool quick, string parts, string reportFile)
    {
        var log = Path.Combine(parts, step.Name + ".log");
        var results = Path.Combine(parts, step.Name + ".json");
        var trx = Path.Combine(parts, step.Name + "-trx");
        var loadBefore = Machine.LoadAverage();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (step.IsTestSuite)
        {
            foreach (var argument in step.Arguments.Concat(["--nologo", "-v", "q", "--logger", "console;verbosity=minimal", "--logger", $"trx;LogFilePrefix={step.Name}", "--results-directory", trx]))
            {
                start.ArgumentList.Add(argument);
            }

            // --quick --long runs the suites at their short sizes (the checker's 2 min, not 600 s): a smoke run.
            foreach (var (key, value) in quick ? new Dictionary<string, string>() : SuitePlan.LongRunEnvironment)
            {
                start.Environment[key] = value;
            }

            if (SuitePlan.WritesConsistencyReport(step.Name))
            {
                start.Environment["PLATFORM_CONSISTENCY_REPORT"] = reportFile;
            }
            Step($"{step.Name} (long): dotnet {string.Join(' ', start.ArgumentList)} (load average {loadBefore})");
        }
        else
        {
            foreach (var argument in new[] { typeof(SuiteCommand).Assembly.Location }.Concat(step.Arguments).Concat(["--results", results]))
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["PLATFORM_BENCH_QUICK"] = quick ? "1" : "0";
            Step($"{step.Name}: {string.Join(' ', step.Arguments)} (timeout {step.Timeout.TotalSeconds:0} s, load average {loadBefore})");
        }

        var clock = Stopwatch.StartNew();
        var exitCode = await RunAsync(start, log, step.Timeout, echo: !step.ScreenSummaryOnly);
        if (step.ScreenSummaryOnly)
        {
            PrintSummary(log);
        }

        if (exitCode != 0)
        {
            Console.WriteLine($"{step.Name} FAILED (exit {exitCode}{(exitCode == TimedOut ? ", timed out" : "")}; log: {log})");
            ReapBenchNodes();
        }

        return new SuiteRun(step.Name, step.IsTestSuite, exitCode, Math.Round(clock.Elapsed.TotalSeconds, 1), log, step.IsTestSuite ? trx : results, loadBefore, Machine.LoadAverage());
    }

    /// <summary>The exit code reported for a step killed at its timeout (as coreutils' <c>timeout</c> reports it).</summary>
    public const int TimedOut = 124;

    private static async Task<int> RunAsync(ProcessStartInfo start, string log, TimeSpan timeout, bool echo)
    {
        await using var writer = new StreamWriter(log) { AutoFlush = true };
        var gate = new Lock();
        void Line(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (gate)
            {
                writer.WriteLine(line);
                if (echo)
                {
                    Console.WriteLine(line);
                }
            }
        }

        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            return process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Its catalog nodes and BenchmarkDotNet's child processes go with it.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Line($"killed after its timeout of {timeout.TotalSeconds:0} s");
            return TimedOut;
        }
    }

    /// <summary>BenchmarkDotNet's summary table and the FusionCache peer's own section, from a log that holds everything.</summary>
    private static void PrintSummary(string log)
    {
        var inTable = false;
        var inPeer = false;
        foreach (var line in File.ReadLines(log))
        {
            inPeer |= line.StartsWith("### FusionCache peer", StringComparison.Ordinal);
            if (line.StartsWith('|') && line.TrimStart('|', ' ').StartsWith("Method", StringComparison.Ordinal))
            {
                inTable = true;
            }

            if (inPeer || inTable)
            {
                Console.WriteLine(line);
            }

            if (inTable && line.Length == 0)
            {
                inTable = false;
            }
        }
    }

    /// <summary>Catalog nodes a failed runner started (<c>Service__NodeName=bench-…</c>) may outlive it: stop them.</summary>
    private static void ReapBenchNodes()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Any(v => v.StartsWith("Service__NodeName=bench-", StringComparison.Ordinal)))
                {
                    using var node = Process.GetProcessById(pid);
                    node.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
    }

    private static void Step(string text) => Console.WriteLine($"==> {text}");
}

/// <summary>One finished step: <paramref name="Output"/> is the runner's results JSON, or a test suite's TRX folder.</summary>
internal sealed record SuiteRun(string Name, bool IsTestSuite, int ExitCode, double Seconds, string Log, string Output, string LoadBefore, string LoadAfter);
