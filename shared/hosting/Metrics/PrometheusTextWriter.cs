namespace Platform.Hosting.Metrics;

/// <summary>Writes collected instruments as Prometheus text exposition format 0.0.4.</summary>
internal static class PrometheusTextWriter
{
    public const string DroppedFamily = "platform_metrics_series_dropped_total";
    private const string ScopeLabel = "otel_scope_name";

    public static void Write(TextWriter writer, IReadOnlyList<InstrumentState> states, long dropped)
    {
        var families = states
            .Where(s => s.FamilyName != DroppedFamily)
            .GroupBy(s => s.FamilyName, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var family in families)
        {
            WriteFamily(writer, family.Key, [.. family.OrderBy(s => s.Identity.MeterName, StringComparer.Ordinal)]);
        }

        WriteHeader(writer, DroppedFamily, "Measurements dropped because their instrument already had Metrics:MaxSeriesPerInstrument series.", MetricType.Counter);
        WriteSample(writer, DroppedFamily, "", PrometheusNaming.FormatNumber(dropped));
    }

    private static void WriteFamily(TextWriter writer, string name, List<InstrumentState> members)
    {
        // A name taken by instruments of different kinds can carry one TYPE only: the first meter's kind wins.
        var type = members[0].Type;
        members.RemoveAll(m => m.Type != type);

        // Same-named instruments from different meters would otherwise write identical series.
        var scoped = members.Select(m => m.Identity.MeterName).Distinct(StringComparer.Ordinal).Skip(1).Any();
        var rows = members
            .SelectMany(m => m.Series.Select(series => (Labels: Labels(scoped, m, series.Key.Labels), Series: series)))
            .OrderBy(r => r.Labels, StringComparer.Ordinal)
            .ToList();
        if (rows.Count == 0)
        {
            return;
        }

        WriteHeader(writer, name, members.Select(m => m.Help).FirstOrDefault(h => h is not null), type);
        foreach (var (labels, series) in rows)
        {
            switch (series)
            {
                case SumSeries sum:
                    WriteSample(writer, name, labels, sum.FormatValue());
                    break;
                case LastValueSeries last:
                    WriteSample(writer, name, labels, last.FormatValue());
                    break;
                case HistogramSeries histogram:
                    WriteHistogram(writer, name, labels, histogram);
                    break;
            }
        }
    }

    private static string Labels(bool scoped, InstrumentState state, string labels)
    {
        if (!scoped)
        {
            return labels;
        }

        var scope = $"{ScopeLabel}=\"{PrometheusNaming.EscapeLabelValue(state.Identity.MeterName)}\"";
        return labels.Length == 0 ? scope : scope + "," + labels;
    }

    private static void WriteHistogram(TextWriter writer, string name, string labels, HistogramSeries histogram)
    {
        var (cumulative, sum, count) = histogram.Snapshot();
        var prefix = labels.Length == 0 ? "" : labels + ",";
        for (var i = 0; i < cumulative.Length; i++)
        {
            var le = i < histogram.Bounds.Length ? PrometheusNaming.FormatNumber(histogram.Bounds[i]) : "+Inf";
            WriteSample(writer, name + "_bucket", $"{prefix}le=\"{le}\"", PrometheusNaming.FormatNumber(cumulative[i]));
        }

        WriteSample(writer, name + "_sum", labels, PrometheusNaming.FormatNumber(sum));
        WriteSample(writer, name + "_count", labels, PrometheusNaming.FormatNumber(count));
    }

    private static void WriteHeader(TextWriter writer, string name, string? help, MetricType type)
    {
        if (help is not null)
        {
            writer.Write("# HELP ");
            writer.Write(name);
            writer.Write(' ');
            writer.Write(PrometheusNaming.EscapeHelp(help));
            writer.Write('\n');
        }

        writer.Write("# TYPE ");
        writer.Write(name);
        writer.Write(' ');
        writer.Write(type switch
        {
            MetricType.Counter => "counter",
            MetricType.Gauge => "gauge",
            _ => "histogram",
        });
        writer.Write('\n');
    }

    private static void WriteSample(TextWriter writer, string name, string labels, string value)
    {
        writer.Write(name);
        if (labels.Length > 0)
        {
            writer.Write('{');
            writer.Write(labels);
            writer.Write('}');
        }

        writer.Write(' ');
        writer.Write(value);
        writer.Write('\n');
    }
}
