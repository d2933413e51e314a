using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Platform.Hosting.Metrics;

/// <summary>Maps the Prometheus scrape endpoint.</summary>
public static class MetricsEndpointRouteBuilderExtensions
{
    /// <summary>Content type of the text exposition format 0.0.4.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>
    /// <c>GET <paramref name="pattern"/></c> answers with everything collected so far. Left out of the API
    /// description and of the HTTP server metrics (scrapes would otherwise dominate them); authorization and
    /// rate limiting are the caller's choice on the returned builder.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="MetricsServiceCollectionExtensions.AddPrometheusMetrics"/> was not called.</exception>
    public static IEndpointConventionBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints, string pattern = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);

        // Resolved here so a missing registration fails at startup rather than on the first scrape.
        var exporter = endpoints.ServiceProvider.GetService<PrometheusExporter>()
            ?? throw new InvalidOperationException(
                $"{nameof(PrometheusExporter)} is not registered: call services.{nameof(MetricsServiceCollectionExtensions.AddPrometheusMetrics)}() first.");

        return endpoints.MapGet(pattern, context => WriteAsync(context, exporter))
            .ExcludeFromDescription()
            .DisableHttpMetrics();
    }

    private static async Task WriteAsync(HttpContext context, PrometheusExporter exporter)
    {
        // Rendered to memory first: the exporter holds its collection lock while writing, never while a slow client reads.
        string body;
        using (var writer = new StringWriter(CultureInfo.InvariantCulture))
        {
            exporter.WriteTo(writer);
            body = writer.ToString();
        }

        context.Response.ContentType = ContentType;
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(body, Encoding.UTF8, context.RequestAborted);
    }
}
