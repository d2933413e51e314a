using System.Globalization;

namespace Platform.DeadLetters.Cli;

/// <summary>
/// How wide the <c>dlq</c> tables may be: <c>COLUMNS</c> when it is set (what shells, <c>./platform dlq</c> and scripts use
/// to say it), else the terminal's window width, else — output to a pipe or a file — <see cref="Redirected"/> columns, wide
/// enough that a grep sees whole rows.
/// </summary>
internal static class TerminalWidth
{
    public const int Minimum = 40;
    public const int Maximum = 1000;
    public const int Redirected = 240;

    /// <summary>Used when a terminal does not say its width.</summary>
    public const int Fallback = 80;

    public static int Resolve(string? columns, bool terminal, Func<int> windowWidth)
    {
        ArgumentNullException.ThrowIfNull(windowWidth);
        if (int.TryParse(columns, NumberStyles.None, CultureInfo.InvariantCulture, out var set) && set > 0)
        {
            return Math.Clamp(set, Minimum, Maximum);
        }

        if (!terminal)
        {
            return Redirected;
        }

        int width;
        try
        {
            width = windowWidth();
        }
        catch (IOException)
        {
            width = 0;
        }

        return width > 0 ? Math.Clamp(width, Minimum, Maximum) : Fallback;
    }
}
