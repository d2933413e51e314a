using System.Globalization;
using System.Text.Json.Serialization;

namespace Platform.Benchmarks.Reporting;

/// <summary>
/// One measured figure. <see cref="Ratio"/> is <c>Value ÷ Baseline</c>, both measured in the same run; the load
/// average is the one when the figure was recorded (the machine is shared, so no figure goes without it).
/// </summary>
internal sealed record Figure(string Section, string Measure, double Value, string Unit)
{
    public int? Samples { get; init; }

    public Baseline? Baseline { get; init; }

    public double? Ratio => Baseline is { Value: > 0 } b && double.IsFinite(Value) ? Value / b.Value : null;

    public Target? Target { get; init; }

    /// <summary>Whether <see cref="Target"/> is met; null when the figure has no target.</summary>
    public bool? TargetMet => Target?.IsMet(Value, Ratio);

    public string Load { get; init; } = Machine.LoadAverage();

    /// <summary>Anything a reader needs next to the number, e.g. each round's value and load.</summary>
    public string? Note { get; init; }

    /// <summary>The value with its unit, formatted for a table.</summary>
    public string Display() => Format(Value, Unit);

    public static string Format(double value, string unit)
    {
        if (!double.IsFinite(value))
        {
            return "n/a";
        }

        var digits = Math.Abs(value) >= 1000 ? "N0" : Math.Abs(value) >= 100 ? "0.0" : Math.Abs(value) >= 1 ? "0.00" : "0.000";
        var number = value == Math.Floor(value) && Math.Abs(value) < 1e15 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString(digits, CultureInfo.InvariantCulture);
        return unit.Length == 0 ? number : $"{number} {unit}";
    }
}

/// <summary>What a figure is compared with, measured in the same run.</summary>
internal sealed record Baseline(string Name, double Value);

/// <summary>A target on a figure's value, or on its ratio to the baseline.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TargetKind>))]
internal enum TargetKind
{
    AtMost,
    AtLeast,
    RatioAtMost,
    RatioAtLeast,
}

internal sealed record Target(TargetKind Kind, double Limit, string Unit)
{
    public static Target AtMost(double limit, string unit) => new(TargetKind.AtMost, limit, unit);

    public static Target AtLeast(double limit, string unit) => new(TargetKind.AtLeast, limit, unit);

    public static Target RatioAtMost(double limit) => new(TargetKind.RatioAtMost, limit, "×");

    public static Target RatioAtLeast(double limit) => new(TargetKind.RatioAtLeast, limit, "×");

    public string Text => Kind switch
    {
        TargetKind.AtMost => $"≤ {Figure.Format(Limit, Unit)}",
        TargetKind.AtLeast => $"≥ {Figure.Format(Limit, Unit)}",
        TargetKind.RatioAtMost => $"≤ {Limit.ToString("0.##", CultureInfo.InvariantCulture)}× baseline",
        _ => $"≥ {Limit.ToString("0.##", CultureInfo.InvariantCulture)}× baseline",
    };

    public bool IsMet(double value, double? ratio) => Kind switch
    {
        TargetKind.AtMost => value <= Limit,
        TargetKind.AtLeast => value >= Limit,
        TargetKind.RatioAtMost => ratio <= Limit,
        _ => ratio >= Limit,
    };
}
