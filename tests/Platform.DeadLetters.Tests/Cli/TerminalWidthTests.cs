using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Operations;
using Spectre.Console;

namespace Platform.DeadLetters.Tests.Cli;

/// <summary>The dlq tables fit the terminal: COLUMNS, else the window width, else wide for pipes; long values cut with '…'.</summary>
public sealed class TerminalWidthTests
{
    [Theory]
    [InlineData("100", true, 132, 100)]
    [InlineData("100", false, 0, 100)]
    [InlineData(null, true, 132, 132)]
    [InlineData("", true, 90, 90)]
    [InlineData("wide", true, 90, 90)]
    [InlineData("-5", true, 90, 90)]
    [InlineData(null, false, 132, TerminalWidth.Redirected)]
    [InlineData(null, true, 0, TerminalWidth.Fallback)]
    [InlineData("10", true, 132, TerminalWidth.Minimum)]
    [InlineData("99999", true, 132, TerminalWidth.Maximum)]
    public void WidthComesFromColumnsThenTheWindowThenIsWideForPipes(string? columns, bool terminal, int window, int expected) =>
        Assert.Equal(expected, TerminalWidth.Resolve(columns, terminal, () => window));

    [Fact]
    public void AWindowThatCannotBeReadFallsBackToEightyColumns() =>
        Assert.Equal(TerminalWidth.Fallback, TerminalWidth.Resolve(null, true, () => throw new IOException("not a console")));

    [Theory]
    [InlineData(60)]
    [InlineData(80)]
    [InlineData(120)]
    [InlineData(200)]
    public void EveryTableRowFitsTheWidthOnOneLineWithLongValuesCut(int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        var now = DateTimeOffset.UtcNow;
        var items = Enumerable.Range(1, 3).Select(i => new DeadLetterSummary(
            i, "stored", "a-rather-long-prefix-cache-invalidator_error", "a-rather-long-prefix-cache-invalidator", $"m-{i}",
            "Platform.Contracts.Caching.CacheInvalidationRequestedWithAVeryLongName", "StackExchange.Redis.RedisConnectionException",
            "No connection is active/available to service this operation: EVALSHA 4f0c; " + new string('x', 300), "InvalidationConsumer",
            "0123456789abcdef", now, now, 12, 3, null, null)).ToList();

        DeadLetterConsole.List(console, new DeadLetterPage(3, items));

        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
        Assert.All(lines, line => Assert.True(line.Length <= width, $"{line.Length} > {width}: {line}"));
        var rows = lines.Where(l => l.StartsWith('│') && !l.Contains("Id", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row => Assert.Contains("…", row, StringComparison.Ordinal));
    }
}
