using System.Text.Json;
using System.Text.Json.Serialization;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// The figures one runner records while it prints its tables. <c>--results FILE</c> (handled by the entry point)
/// writes them, with the runner's status and the load average before and after, for <c>./platform bench</c>.
/// </summary>
internal sealed class BenchResults(string runner, IReadOnlyList<string> args)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly List<Figure> _figures = [];
    private readonly List<string> _notes = [];

    public string Runner { get; } = runner;

    public IReadOnlyList<string> Args { get; } = args;

    public string LoadBefore { get; } = Machine.LoadAverage();

    public IReadOnlyList<Figure> Figures => _figures;

    public IReadOnlyList<string> Notes => _notes;

    public Figure Add(string section, string measure, double value, string unit,
        Baseline? baseline = null, Target? target = null, int? samples = null, string? note = null)
    {
        var figure = new Figure(section, measure, value, unit) { Baseline = baseline, Target = target, Samples = samples, Note = note };
        _figures.Add(figure);
        return figure;
    }

    /// <summary>A sentence for the report that is not a number (what was run, a finding, a caveat).</summary>
    public void Note(string text) => _notes.Add(text);

    public async Task WriteAsync(string path, int exitCode, string? error, TimeSpan elapsed)
    {
        var file = new RunnerResult(Runner, Args, exitCode == 0 ? "ok" : "failed", exitCode, error, Math.Round(elapsed.TotalSeconds, 1),
            LoadBefore, Machine.LoadAverage(), _figures, _notes);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(file, Json));
    }
}

/// <summary>What one runner wrote: the unit <c>./platform bench</c> merges into bench/results/&lt;stamp&gt;.json.</summary>
internal sealed record RunnerResult(
    string Runner,
    IReadOnlyList<string> Args,
    string Status,
    int ExitCode,
    string? Error,
    double Seconds,
    string LoadBefore,
    string LoadAfter,
    IReadOnlyList<Figure> Figures,
    IReadOnlyList<string> Notes);
