using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Metrics;
using Platform.Hosting.Telemetry;

namespace Platform.Hosting.Metrics;

/// <summary>Maps the Prometheus scrape endpoint of OpenTelemetry's Prometheus exporter.</summary>
public static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// <c>GET <paramref name="pattern"/></c> answers with everything collected so far, in the Prometheus text format
    /// (or OpenMetrics when the scraper asks for it). Open like the health endpoints, left out of the API description
    /// and of the HTTP server metrics (scrapes would otherwise dominate them); authorization and rate limiting are the
    /// caller's choice on the returned builder.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="PlatformTelemetry.AddPlatformTelemetry"/> was not called.</exception>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);

        // Checked here so a missing registration fails at startup with the fix, not on the first scrape.
        _ = endpoints.ServiceProvider.GetService<MeterProvider>()
            ?? throw new InvalidOperationException(
                $"No OpenTelemetry MeterProvider is registered: call builder.{nameof(PlatformTelemetry.AddPlatformTelemetry)}() first.");

        return endpoints.MapPrometheusScrapingEndpoint(pattern)
            .ExcludeFromDescription()
            .DisableHttpMetrics();
    }
}
