using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// The last step of <c>./platform bench</c> (<see cref="SuiteCommand"/>): merges each runner's results JSON (written
/// through <c>--results</c>), the long test suites' totals (from their TRX files) and the consistency checker's JSON
/// when it exists, with the machine and the servers' versions, into <c>PATH.json</c> and <c>PATH.md</c>. Prints the
/// Markdown. Returns 1 when a run failed.
/// </summary>
internal static partial class SuiteReport
{
    public static async Task<int> WriteAsync(SuiteReportInput input)
    {
        var v = input.Versions;
        var machine = new SuiteMachine(
            Environment.ProcessorCount, Machine.Cpu(), Machine.MemoryGiB(), RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription,
            v.DotnetSdk, v.Postgresql, v.Redis, v.Rabbitmq, v.Erlang);
        var git = new SuiteGit(v.GitCommit, v.GitDirty);
        var load = new SuiteLoad(input.LoadBefore, input.LoadAfter);
        var (stamp, quick, longRun, reportFile, output) = (input.Stamp, input.Quick, input.Long, input.ConsistencyReportFile, input.Output);
        var wall = input.WallSeconds;

        var runs = new List<RunnerResult>();
        foreach (var step in input.Runs)
        {
            var seconds = step.Seconds.ToString(CultureInfo.InvariantCulture);
            var run = step.IsTestSuite
                ? TestRun(step.Name, step.ExitCode, seconds, step.Log, step.Output, SuitePlan.WritesConsistencyReport(step.Name) ? reportFile?.Invoke(step.Name) : null)
                : await BenchRunAsync(step.Output, step.Name, step.ExitCode, seconds, step.Log);
            // Test runs are summarised here, after the fact: their figures carry the load at the end of the run.
            runs.Add(run with
            {
                LoadBefore = step.LoadBefore,
                LoadAfter = step.LoadAfter,
                Figures = step.IsTestSuite ? [.. run.Figures.Select(f => f with { Load = step.LoadAfter })] : run.Figures,
            });
        }

        var consistencyFile = reportFile?.Invoke("consistency");
        JsonNode? consistency = consistencyFile is not null && File.Exists(consistencyFile) ? JsonNode.Parse(await File.ReadAllTextAsync(consistencyFile)) : null;
        var failed = runs.Where(r => r.Status != "ok").Select(r => r.Runner).ToList();
        var suite = new Suite(stamp, quick ? "quick" : "full", longRun, wall, git, machine, load, failed, runs, consistency);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        await File.WriteAllTextAsync(output + ".json", JsonSerializer.Serialize(suite, BenchResults.Json));
        var markdown = Markdown(suite);
        await File.WriteAllTextAsync(output + ".md", markdown);
        Console.WriteLine(markdown);
        Console.WriteLine($"Written: {output}.json, {output}.md");
        Console.WriteLine(failed.Count == 0
            ? $"{runs.Count} runs, all ok ({runs.Sum(r => r.Figures.Count(f => f.TargetMet == false))} targets not met)"
            : $"{failed.Count} of {runs.Count} runs FAILED: {string.Join(", ", failed)}");
        return failed.Count == 0 ? 0 : 1;
    }

    private static async Task<RunnerResult> BenchRunAsync(string file, string name, int exitCode, string seconds, string log)
    {
        RunnerResult? written = null;
        if (File.Exists(file))
        {
            try
            {
                written = JsonSerializer.Deserialize<RunnerResult>(await File.ReadAllTextAsync(file), BenchResults.Json);
            }
            catch (JsonException e)
            {
                return Failed(name, exitCode, seconds, $"unreadable results {file}: {e.Message}; log {log}");
            }
        }

        if (written is null)
        {
            return Failed(name, exitCode, seconds, $"no results written (exit {exitCode}{(exitCode == 124 ? ": timed out" : "")}); log {log}");
        }

        // The script's name and exit code are the truth (a timeout kills the runner before it can say so).
        written = written with { Runner = name };
        return exitCode == 0 ? written : written with { Status = "failed", ExitCode = exitCode, Error = (written.Error ?? $"exit {exitCode}") + $"; log {log}" };
    }

    private static RunnerResult TestRun(string name, int exitCode, string seconds, string log, string trxFolder, string? consistencyFile)
    {
        var results = new BenchResults(name, []);
        var totals = TestTotals.Read(trxFolder);
        var section = name switch
        {
            "consistency" => "Consistency checker (long)",
            "cluster-consistency" => "Consistency checker on a cluster (long)",
            _ => "Bad-input suite (long)",
        };
        results.Add(section, "tests passed", totals.Passed, "");
        results.Add(section, "tests failed", totals.Failed, "", target: Target.AtMost(0, ""));
        if (totals.Passed + totals.Failed == 0)
        {
            results.Note("no test ran: the filter matched nothing (is the suite there yet?)");
        }

        if (consistencyFile is not null)
        {
            if (File.Exists(consistencyFile))
            {
                AddConsistencyFigures(results, section, JsonNode.Parse(File.ReadAllText(consistencyFile)));
            }
            else
            {
                results.Note($"no consistency report at {consistencyFile}");
            }
        }

        return new RunnerResult(name, [], exitCode == 0 ? "ok" : "failed", exitCode, exitCode == 0 ? null : $"dotnet test exit {exitCode}; log {log}",
            double.Parse(seconds, CultureInfo.InvariantCulture), results.LoadBefore, Machine.LoadAverage(), results.Figures, results.Notes);
    }

    /// <summary>
    /// The checker's report is the consistency suite's own format: a <c>figures</c> array in this model is taken as
    /// it is; otherwise every number is a figure, and counts of stale reads beyond the bound or of lost events get
    /// the issue's target of 0.
    /// </summary>
    private static void AddConsistencyFigures(BenchResults results, string section, JsonNode? report)
    {
        if (report?["figures"] is JsonArray figures)
        {
            foreach (var figure in figures.Deserialize<List<Figure>>(BenchResults.Json) ?? [])
            {
                results.Add(figure.Section, figure.Measure, figure.Value, figure.Unit, figure.Baseline, figure.Target, figure.Samples, figure.Note);
            }

            return;
        }

        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, child) in obj)
                    {
                        Walk(child, path.Length == 0 ? key : $"{path}.{key}");
                    }

                    break;
                case JsonValue value when value.TryGetValue<double>(out var number):
                    results.Add(section, path, number, "", target: ZeroTarget().IsMatch(path) ? Target.AtMost(0, "") : null);
                    break;
                case JsonValue value when value.TryGetValue<bool>(out var flag):
                    results.Add(section, path, flag ? 1 : 0, "");
                    break;
            }
        }

        Walk(report, "");
    }

    private static RunnerResult Failed(string name, int exitCode, string seconds, string error) =>
        new(name, [], "failed", exitCode == 0 ? 1 : exitCode, error, double.Parse(seconds, CultureInfo.InvariantCulture), "n/a", Machine.LoadAverage(), [], []);

    private static string Markdown(Suite suite)
    {
        var text = new StringBuilder();
        var m = suite.Machine;
        text.AppendLine(CultureInfo.InvariantCulture, $"# Benchmarks {suite.Stamp} ({suite.Mode}{(suite.Long ? ", long" : "")})");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {m.Cores} cores ({m.Cpu ?? "cpu n/a"}), {m.MemoryGiB} GiB, {m.Os}; {m.Dotnet} (SDK {m.DotnetSdk})");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Servers (loopback, shared with other work): PostgreSQL {m.Postgresql}, Redis {m.Redis}, RabbitMQ {m.Rabbitmq} on Erlang {m.Erlang}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- Load average before {suite.LoadAverage.Before}, after {suite.LoadAverage.After}; wall time {suite.WallSeconds} s; commit {suite.Git.Commit}{(suite.Git.Dirty ? " + uncommitted changes" : "")}");
        text.AppendLine("- Ratio = value ÷ baseline, both measured in this run; each figure carries the load average (1, 5, 15 min) when it was recorded.");
        text.AppendLine();
        var summary = new MarkdownTable("llrrrl", "run", "status", "seconds", "figures", "targets met", "load average before → after");
        foreach (var run in suite.Runs)
        {
            var targets = run.Figures.Where(f => f.Target is not null).ToList();
            summary.Add(run.Runner, run.Status == "ok" ? "ok" : $"**FAILED** ({run.Error ?? $"exit {run.ExitCode}"})",
                run.Seconds.ToString("0", CultureInfo.InvariantCulture), run.Figures.Count.ToString(CultureInfo.InvariantCulture),
                targets.Count == 0 ? "–" : $"{targets.Count(f => f.TargetMet == true)} of {targets.Count}", $"{run.LoadBefore} → {run.LoadAfter}");
        }

        text.Append(summary);
        text.AppendLine();
        foreach (var run in suite.Runs)
        {
            foreach (var section in run.Figures.GroupBy(f => f.Section))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"## {run.Runner}: {section.Key}");
                text.AppendLine();
                var table = new MarkdownTable("lrlrlrl", "measure", "value", "baseline", "ratio", "target", "n", "load");
                foreach (var f in section)
                {
                    table.Add(f.Measure, f.Display(),
                        f.Baseline is { } b ? $"{b.Name}: {Figure.Format(b.Value, f.Unit)}" : "",
                        f.Ratio is { } r ? r.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "",
                        f.Target is { } t ? $"{t.Text}: {(f.TargetMet == true ? "met" : "**NOT met**")}" : "",
                        f.Samples?.ToString("N0", CultureInfo.InvariantCulture) ?? "",
                        f.Load);
                }

                text.Append(table);
                text.AppendLine();
            }

            foreach (var note in run.Notes)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"- {run.Runner}: {note}");
            }

            if (run.Notes.Count > 0)
            {
                text.AppendLine();
            }
        }

        return text.ToString().TrimEnd() + Environment.NewLine;
    }

    [GeneratedRegex("(stale.*(beyond|bound))|lost", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ZeroTarget();
}

/// <summary>What <see cref="SuiteCommand"/> hands the report: the steps it ran and what it read of the machine.</summary>
internal sealed record SuiteReportInput(
    IReadOnlyList<SuiteRun> Runs, string Output, string Stamp, bool Quick, bool Long, Func<string, string>? ConsistencyReportFile, ServerVersions Versions,
    string LoadBefore, string LoadAfter, int WallSeconds);

internal sealed record Suite(
    string Stamp, string Mode, bool Long, int WallSeconds, SuiteGit Git, SuiteMachine Machine, SuiteLoad LoadAverage,
    IReadOnlyList<string> Failed, IReadOnlyList<RunnerResult> Runs, JsonNode? Consistency);

internal sealed record SuiteGit(string Commit, bool Dirty);

internal sealed record SuiteLoad(string Before, string After);

internal sealed record SuiteMachine(
    int Cores, string? Cpu, double MemoryGiB, string Os, string Dotnet, string DotnetSdk, string Postgresql, string Redis, string Rabbitmq, string Erlang);
