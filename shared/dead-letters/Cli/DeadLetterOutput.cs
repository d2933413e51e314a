using System.Text.Json;
using Spectre.Console;

namespace Platform.DeadLetters.Cli;

/// <summary>Tables (Spectre.Console) by default, JSON with <c>--json</c>.</summary>
internal sealed class DeadLetterOutput(TextWriter writer, bool json)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public IAnsiConsole Console { get; } = CreateConsole(writer);

    /// <summary>Progress bars only where someone watches: an interactive terminal, not --json, not a pipe.</summary>
    public bool ShowsProgress => !json && Console.Profile.Capabilities.Interactive;

    public void Write<T>(T value, Action<IAnsiConsole, T> render)
    {
        if (json)
        {
            writer.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        }
        else
        {
            render(Console, value);
        }
    }

    public async Task<T> WithProgressAsync<T>(string title, Func<IProgress<(int Done, int Total)>, Task<T>> work)
    {
        T result = default!;
        await Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(title);
                result = await work(new Immediate(p =>
                {
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }));
            });
        return result;
    }

    // Colours and bars for a terminal; plain text for a pipe or a file, where escape codes are noise. The width is set
    // either way (TerminalWidth): tables shrink to it and cut long values with '…'.
    private static IAnsiConsole CreateConsole(TextWriter writer)
    {
        var terminal = ReferenceEquals(writer, System.Console.Out) && !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        console.Profile.Width = TerminalWidth.Resolve(Environment.GetEnvironmentVariable("COLUMNS"), terminal, () => System.Console.WindowWidth);
        return console;
    }

    // Progress<T> posts to the thread pool, so updates could arrive out of order or after the bar closed.
    private sealed class Immediate(Action<(int Done, int Total)> report) : IProgress<(int Done, int Total)>
    {
        public void Report((int Done, int Total) value) => report(value);
    }
}
