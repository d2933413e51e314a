using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Options;
using Platform.Hosting.Metrics;

namespace Platform.Hosting.Tests.Metrics;

/// <summary>A started exporter listening only to a meter whose name no other test uses, so tests run in parallel.</summary>
internal sealed class ExporterHarness : IDisposable
{
    private ExporterHarness(string meterName, PrometheusExporter exporter)
    {
        MeterName = meterName;
        Meter = new Meter(meterName);
        Exporter = exporter;
    }

    public string MeterName { get; }

    public Meter Meter { get; }

    public PrometheusExporter Exporter { get; }

    public static string UniqueMeterName() => "Test." + Guid.NewGuid().ToString("N");

    /// <summary>Exports <see cref="Meter"/> only, unless <paramref name="configure"/> replaces the meter list.</summary>
    public static ExporterHarness Start(Action<MetricsOptions, string>? configure = null)
    {
        var meterName = UniqueMeterName();
        var options = new MetricsOptions { Meters = [meterName] };
        configure?.Invoke(options, meterName);
        var exporter = new PrometheusExporter(Options.Create(options));
        exporter.Start();
        return new ExporterHarness(meterName, exporter);
    }

    public Exposition Scrape() => Exposition.Of(Exporter);

    public void Dispose()
    {
        Meter.Dispose();
        Exporter.Dispose();
    }
}

/// <summary>One scrape, split into lines, with lookups by family and by series.</summary>
internal sealed class Exposition(string text)
{
    public string Text { get; } = text;

    public IReadOnlyList<string> Lines { get; } = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public static Exposition Of(PrometheusExporter exporter)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        exporter.WriteTo(writer);
        return new Exposition(writer.ToString());
    }

    /// <summary>The HELP/TYPE lines of <paramref name="family"/> and its samples, in output order.</summary>
    public IReadOnlyList<string> Family(string family)
    {
        var lines = new List<string>();
        string? current = null;
        foreach (var line in Lines)
        {
            if (line.StartsWith("# ", StringComparison.Ordinal))
            {
                current = line.Split(' ')[2];
            }

            if (current == family)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    /// <summary>The value written for <paramref name="series"/> (<c>name{labels}</c> exactly as exposed), or null.</summary>
    public string? Value(string series)
    {
        var prefix = series + " ";
        return Lines.SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
    }
}
