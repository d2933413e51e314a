using System.Globalization;

namespace Platform.Testing.BadInput;

/// <summary>
/// Size and seed of the generated bad-input suites. <c>PLATFORM_BADINPUT_CASES</c> sets how many cases each endpoint
/// and each queue gets (default: the short mode of <c>./platform test</c>; <c>./platform bench --long</c> raises it),
/// <c>PLATFORM_BADINPUT_SEED</c> the base seed. Every case derives its own seed from the base seed, its target and its
/// index, so a failure message names exactly what to set to run that case again.
/// </summary>
public static class BadInputSettings
{
    public const string CasesVariable = "PLATFORM_BADINPUT_CASES";
    public const string SeedVariable = "PLATFORM_BADINPUT_SEED";

    /// <summary>Short mode: every endpoint and queue gets a spread of every case kind; the whole suite stays well under a minute.</summary>
    public const int DefaultCases = 24;

    /// <summary>A fixed default, so two runs of the same code send the same bytes.</summary>
    public const int DefaultSeed = 20261121;

    public static int Cases { get; } = Read(CasesVariable, DefaultCases, 1);

    public static int Seed { get; } = Read(SeedVariable, DefaultSeed, int.MinValue);

    /// <summary>
    /// A deadline for work that grows with the case count: <paramref name="shortMode"/> (what the default count needs,
    /// with room) plus 100 ms per case. A fixed deadline would turn the long mode's volume into false failures.
    /// </summary>
    public static TimeSpan Deadline(TimeSpan shortMode) => shortMode + TimeSpan.FromMilliseconds(100.0 * Cases);

    /// <summary>What to export to replay a run with these cases.</summary>
    public static string Reproduce => $"{SeedVariable}={Seed} {CasesVariable}={Cases}";

    /// <summary>A seed for case <paramref name="index"/> of <paramref name="target"/>: stable across processes (unlike string.GetHashCode).</summary>
    public static int CaseSeed(string target, int index)
    {
        // FNV-1a over the base seed, the target and the index.
        var hash = 2166136261u;
        foreach (var c in $"{Seed}/{target}/{index}")
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }

    private static int Read(string variable, int fallback, int minimum)
    {
        var text = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < minimum)
        {
            throw new InvalidOperationException($"{variable} must be a whole number of at least {minimum}, not '{text}'");
        }

        return value;
    }
}
