using System.Globalization;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// A runner's <c>--name value</c> options. Each runner asks for the options it knows, then calls
/// <see cref="EnsureAllUsed"/>: an unknown flag, a missing value or a value that is not a whole number throws a
/// <see cref="BenchOptionException"/> naming it, which the entry point turns into one line on stderr and exit 2.
/// </summary>
internal sealed class BenchOptions(string runner, IReadOnlyList<string> args)
{
    private readonly HashSet<int> _used = [];

    public string Runner { get; } = runner;

    public IReadOnlyList<string> Args { get; } = args;

    /// <summary>A whole number option, at least <paramref name="min"/>; <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback, int min = 1)
    {
        if (Text(name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new BenchOptionException($"{Runner}: {name} needs a whole number ≥ {min}, got '{text}'");
    }

    /// <summary>A text option; null when absent.</summary>
    public string? Text(string name)
    {
        var at = IndexOf(name);
        if (at < 0)
        {
            return null;
        }

        if (at + 1 >= Args.Count || Args[at + 1].StartsWith("--", StringComparison.Ordinal))
        {
            throw new BenchOptionException($"{Runner}: {name} needs a value");
        }

        _used.Add(at + 1);
        return Args[at + 1];
    }

    /// <summary>A flag without a value.</summary>
    public bool Flag(string name) => IndexOf(name) >= 0;

    /// <summary>Throws for the first argument no option asked for.</summary>
    public void EnsureAllUsed()
    {
        for (var i = 0; i < Args.Count; i++)
        {
            if (!_used.Contains(i))
            {
                throw new BenchOptionException(Args[i].StartsWith("--", StringComparison.Ordinal)
                    ? $"{Runner}: unknown option '{Args[i]}'"
                    : $"{Runner}: unexpected argument '{Args[i]}'");
            }
        }
    }

    private int IndexOf(string name)
    {
        var at = -1;
        for (var i = 0; i < Args.Count; i++)
        {
            if (string.Equals(Args[i], name, StringComparison.Ordinal))
            {
                at = i;
                _used.Add(i);
            }
        }

        return at;
    }
}

/// <summary>A usage error: the message names the bad flag or value.</summary>
internal sealed class BenchOptionException(string message) : Exception(message);
