using System.Globalization;
using System.Text;

namespace Platform.Hosting.Metrics;

/// <summary>
/// OpenTelemetry-to-Prometheus naming (lower-case, invalid characters to '_', unit and <c>_total</c> suffixes)
/// and the escaping and number spelling of the text exposition format 0.0.4.
/// </summary>
internal static class PrometheusNaming
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["d"] = "days",
        ["h"] = "hours",
        ["min"] = "minutes",
        ["s"] = "seconds",
        ["ms"] = "milliseconds",
        ["us"] = "microseconds",
        ["ns"] = "nanoseconds",
        ["By"] = "bytes",
        ["KiBy"] = "kibibytes",
        ["MiBy"] = "mebibytes",
        ["GiBy"] = "gibibytes",
        ["TiBy"] = "tebibytes",
        ["KBy"] = "kilobytes",
        ["MBy"] = "megabytes",
        ["GBy"] = "gigabytes",
        ["TBy"] = "terabytes",
        ["m"] = "meters",
        ["V"] = "volts",
        ["A"] = "amperes",
        ["J"] = "joules",
        ["W"] = "watts",
        ["g"] = "grams",
        ["Cel"] = "celsius",
        ["Hz"] = "hertz",
        ["%"] = "percent",
        // Dimensionless: nothing to say in the name.
        ["1"] = "",
    };

    private static readonly Dictionary<string, string> PerUnits = new(StringComparer.Ordinal)
    {
        ["s"] = "second",
        ["m"] = "minute",
        ["h"] = "hour",
        ["d"] = "day",
        ["w"] = "week",
        ["mo"] = "month",
        ["y"] = "year",
    };

    /// <summary>The family name: sanitised instrument name, unit suffix unless already there, <c>_total</c> for counters.</summary>
    public static string FamilyName(string instrumentName, string? unit, MetricType type)
    {
        var name = Sanitize(instrumentName);
        var counter = type == MetricType.Counter;
        if (counter && name.EndsWith("_total", StringComparison.Ordinal) && name.Length > "_total".Length)
        {
            name = name[..^"_total".Length];
        }

        var suffix = UnitSuffix(unit);
        if (suffix.Length > 0 && name != suffix && !name.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            name += "_" + suffix;
        }

        return counter ? name + "_total" : name;
    }

    /// <summary>
    /// Lower-cases and maps every character outside <c>[a-z0-9_]</c> to '_', collapsing runs (so no reserved
    /// <c>__</c> label prefix can appear), and prefixes '_' when the result would start with a digit.
    /// </summary>
    public static string Sanitize(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "_";
        }

        var builder = new StringBuilder(value.Length + 1);
        if (char.IsAsciiDigit(value[0]))
        {
            builder.Append('_');
        }

        foreach (var c in value)
        {
            var mapped = char.IsAsciiLetter(c) || char.IsAsciiDigit(c) ? char.ToLowerInvariant(c) : '_';
            if (mapped == '_' && builder.Length > 0 && builder[^1] == '_')
            {
                continue;
            }

            builder.Append(mapped);
        }

        return builder.ToString();
    }

    /// <summary>The name suffix for a UCUM unit: known units spelled out, <c>{annotations}</c> dropped, <c>a/b</c> as <c>a_per_b</c>.</summary>
    public static string UnitSuffix(string? unit)
    {
        if (string.IsNullOrWhiteSpace(unit))
        {
            return "";
        }

        var slash = unit.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return MainUnit(unit);
        }

        var main = MainUnit(unit[..slash]);
        var perText = StripAnnotations(unit[(slash + 1)..]);
        var per = perText.Length == 0 ? "" : PerUnits.TryGetValue(perText, out var word) ? word : Sanitize(perText).Trim('_');
        return (main, per) switch
        {
            (_, "") => main,
            ("", _) => "per_" + per,
            _ => main + "_per_" + per,
        };
    }

    private static string MainUnit(string unit)
    {
        var stripped = StripAnnotations(unit);
        if (stripped.Length == 0)
        {
            return "";
        }

        return Units.TryGetValue(stripped, out var word) ? word : Sanitize(stripped).Trim('_');
    }

    // "{request}" says what is counted, which the metric name already does.
    private static string StripAnnotations(string unit)
    {
        var builder = new StringBuilder(unit.Length);
        var depth = 0;
        foreach (var c in unit)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Trim();
    }

    /// <summary>Renders sorted <c>name="value"</c> pairs; a later tag whose sanitised name repeats an earlier one is left out.</summary>
    public static string RenderLabels(IReadOnlyList<KeyValuePair<string, object?>> tags)
    {
        if (tags.Count == 0)
        {
            return "";
        }

        var labels = tags
            .Select((tag, index) => (Name: Sanitize(tag.Key), Value: FormatTagValue(tag.Value), Index: index))
            .OrderBy(l => l.Name, StringComparer.Ordinal)
            .ThenBy(l => l.Index)
            .DistinctBy(l => l.Name, StringComparer.Ordinal)
            .Select(l => $"{l.Name}=\"{EscapeLabelValue(l.Value)}\"");
        return string.Join(',', labels);
    }

    public static string FormatTagValue(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    public static string EscapeLabelValue(string value) =>
        value.AsSpan().IndexOfAny('\\', '"', '\n') < 0
            ? value
            : value.Replace("\\", @"\\", StringComparison.Ordinal)
                .Replace("\"", "\\\"", StringComparison.Ordinal)
                .Replace("\n", @"\n", StringComparison.Ordinal);

    // HELP text escapes only backslash and line feed; quotes stay as they are.
    public static string EscapeHelp(string value) =>
        value.Replace("\\", @"\\", StringComparison.Ordinal).Replace("\n", @"\n", StringComparison.Ordinal);

    public static string FormatNumber(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string FormatNumber(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ when double.IsNaN(value) => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}
