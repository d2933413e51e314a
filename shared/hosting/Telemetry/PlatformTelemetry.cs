using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Platform.Hosting.Metrics;

namespace Platform.Hosting.Telemetry;

/// <summary>
/// OpenTelemetry through its hosting package and the instrumentation packages (ASP.NET Core, HttpClient, runtime,
/// Npgsql), plus MassTransit's and our own <c>Platform.*</c> sources and meters. Metrics always feed the Prometheus
/// exporter behind <c>/metrics</c>; traces, metrics and logs go to OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is
/// set (as the Aspire AppHost, infra/AppHost, sets it).
/// See docs/adr/010-metrics-and-traces-from-opentelemetry-packages.md.
/// </summary>
public static class PlatformTelemetry
{
    /// <summary>Activity sources traced besides the instrumented libraries (a trailing '*' is a prefix wildcard).</summary>
    public static readonly string[] ActivitySources = ["MassTransit", "Platform.*"];

    /// <summary>
    /// Adds tracing (only with an OTLP endpoint: with nothing to export, recording spans would be pure cost) and
    /// metrics (always: <c>/metrics</c> reads them) for <paramref name="serviceName"/>. Binds and validates
    /// <see cref="MetricsOptions"/> (section <c>Metrics</c>, checked at start).
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set but not an absolute URI.</exception>
    public static IHostApplicationBuilder AddPlatformTelemetry(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<MetricsOptions>().BindConfiguration(MetricsOptions.Section).ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MetricsOptions>, MetricsOptionsValidator>());

        var otlp = OtlpTarget.FromConfiguration(builder.Configuration);
        // An orchestrator (Aspire, Kubernetes) that names the resource through OTEL_SERVICE_NAME and
        // OTEL_RESOURCE_ATTRIBUTES is kept: the SDK's environment detector reads them; naming ourselves would hide the
        // dashboard's resource names (two catalog nodes would both be "catalog-api").
        var namedByEnvironment = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_SERVICE_NAME"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                if (!namedByEnvironment)
                {
                    resource.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}");
                }
            })
            .WithMetrics(metrics =>
            {
                metrics
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddPrometheusExporter(prometheus =>
                    {
                        // Every scrape sees what was recorded up to it (the default caches a response for 300 ms).
                        prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                        // Labels stay exactly what the instruments record (otel_scope_name on every series would break
                        // dashboards and queries written against the names in docs/architecture.md).
                        prometheus.ScopeInfoEnabled = false;
                    });
                // Deferred until the provider is built, so the bound and validated options decide meters and series.
                ((IDeferredMeterProviderBuilder)metrics).Configure((services, configured) =>
                    ApplyOptions(configured, services.GetRequiredService<IOptions<MetricsOptions>>().Value));
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(o => otlp.Configure(o, "v1/metrics"));
                }
            });

        if (otlp is not null)
        {
            telemetry.WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsPlatformEndpoint(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql()
                .AddSource(ActivitySources)
                .AddOtlpExporter(o => otlp.Configure(o, "v1/traces")));
            // Logs too, so a trace's log lines sit beside its spans; the console logger stays as it is.
            telemetry.WithLogging(
                logging => logging.AddOtlpExporter(o => otlp.Configure(o, "v1/logs")),
                options =>
                {
                    options.IncludeFormattedMessage = true;
                    options.IncludeScopes = true;
                });
        }

        return builder;
    }

    private static void ApplyOptions(MeterProviderBuilder metrics, MetricsOptions options) =>
        metrics
            .AddMeter([.. options.Meters])
            // Every stream, the instrumentation packages' included: a tag carrying ids must not grow memory without bound.
            .AddView(_ => new MetricStreamConfiguration { CardinalityLimit = options.MaxSeriesPerInstrument });

    // Probes and scrapes every few seconds would bury the requests worth tracing.
    private static bool IsPlatformEndpoint(PathString path) =>
        path.StartsWithSegments("/health", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/metrics", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Where OTLP goes, read from configuration (environment included) rather than by the exporter itself, so tests
    /// and appsettings can set it too. http/protobuf needs the signal path; gRPC takes the endpoint as is.
    /// </summary>
    private sealed record OtlpTarget(Uri Endpoint, bool Http)
    {
        public static OtlpTarget? FromConfiguration(IConfiguration configuration)
        {
            var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
            if (string.IsNullOrWhiteSpace(endpoint))
            {
                return null;
            }

            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
            {
                throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute URI: '{endpoint}'");
            }

            var http = string.Equals(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], "http/protobuf", StringComparison.OrdinalIgnoreCase);
            return new OtlpTarget(uri, http);
        }

        public void Configure(OtlpExporterOptions options, string signalPath)
        {
            options.Protocol = Http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
            options.Endpoint = Http ? new Uri(Endpoint, Endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath) : Endpoint;
        }
    }
}
