using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Platform.Hosting.Metrics;

/// <summary>Registers the in-process Prometheus exporter behind <c>/metrics</c>.</summary>
public static class MetricsServiceCollectionExtensions
{
    /// <summary>
    /// Binds and validates <see cref="MetricsOptions"/> (section <c>Metrics</c>, checked at start) and registers
    /// <see cref="PrometheusExporter"/> as a singleton that listens from host start, so measurements taken before
    /// the first scrape are kept. Calling it twice registers nothing twice.
    /// </summary>
    public static IServiceCollection AddPrometheusMetrics(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());
        services.TryAddSingleton(sp =>
        {
            var exporter = new PrometheusExporter(
                sp.GetRequiredService<IOptions<MetricsOptions>>(),
                sp.GetService<ILogger<PrometheusExporter>>());
            exporter.Start();
            return exporter;
        });
        services.AddHostedService<PrometheusExporterStarter>();
        return services;
    }

    /// <summary>Resolving the exporter at host start is what starts it; hosted services are built before any of them runs.</summary>
    private sealed class PrometheusExporterStarter(PrometheusExporter exporter) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            exporter.Start();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
