using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Platform.Hosting.Metrics;
using Platform.Hosting.Telemetry;

namespace Platform.Hosting.Tests.Metrics;

/// <summary>
/// A started web host with the platform's telemetry and <c>/metrics</c>, collecting a meter whose name no other test
/// uses (so tests run in parallel), and that meter.
/// </summary>
internal sealed class MetricsHost : IAsyncDisposable
{
    private MetricsHost(WebApplication app, Meter meter)
    {
        App = app;
        Meter = meter;
    }

    public WebApplication App { get; }

    public Meter Meter { get; }

    public static string UniqueMeterName() => "Test." + Guid.NewGuid().ToString("N");

    /// <summary>Starts a host collecting a fresh meter (added to <c>Metrics:Meters</c>) with <paramref name="settings"/> on top.</summary>
    public static async Task<MetricsHost> StartAsync(Dictionary<string, string?>? settings = null, string pattern = "/metrics")
    {
        var meterName = UniqueMeterName();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings ?? []) { ["Metrics:Meters:9"] = meterName });
        builder.AddPlatformTelemetry("metrics-test");
        var app = builder.Build();
        app.MapPrometheusMetrics(pattern);
        await app.StartAsync();
        return new MetricsHost(app, new Meter(meterName));
    }

    public async Task<Exposition> ScrapeAsync(string path = "/metrics")
    {
        using var client = App.GetTestClient();
        return new Exposition(await client.GetStringAsync(new Uri(path, UriKind.Relative)));
    }

    public async ValueTask DisposeAsync()
    {
        Meter.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>One scrape, split into lines, with lookups by family and by series.</summary>
internal sealed class Exposition(string text)
{
    public string Text { get; } = text;

    public IReadOnlyList<string> Lines { get; } = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The HELP/TYPE/UNIT lines of <paramref name="family"/> and its samples, in output order.</summary>
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

    /// <summary>The value written for <paramref name="series"/> (<c>name{labels}</c> exactly as exposed, without a timestamp), or null.</summary>
    public string? Value(string series)
    {
        var prefix = series + " ";
        return Lines.SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Split(' ')[0];
    }
}
