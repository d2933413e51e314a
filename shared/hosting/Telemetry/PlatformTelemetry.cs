using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Platform.Hosting.Telemetry;

/// <summary>
/// OpenTelemetry tracing and metrics, built by hand because the hosting and instrumentation packages are not
/// served here: the SDK subscribes by name to the sources ASP.NET Core, MassTransit and Npgsql already emit.
/// OTLP export only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; <c>/metrics</c> works either way.
/// </summary>
public static class PlatformTelemetry
{
    /// <summary>Activity sources traced (a trailing '*' is a prefix wildcard).</summary>
    public static readonly string[] ActivitySources = ["Microsoft.AspNetCore", "MassTransit", "Npgsql", "Platform.*"];

    /// <summary>Meters exported over OTLP.</summary>
    public static readonly string[] Meters =
        ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "MassTransit", "Npgsql", "System.Runtime", "Platform.*"];

    internal static void AddOpenTelemetry(IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var endpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            throw new InvalidOperationException($"OTEL_EXPORTER_OTLP_ENDPOINT is not an absolute URI: '{endpoint}'");
        }

        // Read from configuration (environment included) rather than by the exporter itself, so tests and
        // appsettings can set it too. http/protobuf needs the signal path; gRPC takes the endpoint as is.
        var http = string.Equals(configuration["OTEL_EXPORTER_OTLP_PROTOCOL"], "http/protobuf", StringComparison.OrdinalIgnoreCase);
        services.AddSingleton(new TelemetryProviders(serviceName, uri, http));
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryProviders>());
    }

    /// <summary>Owns the providers so they flush on shutdown.</summary>
    private sealed class TelemetryProviders(string serviceName, Uri endpoint, bool http) : IHostedService, IDisposable
    {
        private TracerProvider? _tracer;
        private MeterProvider? _meter;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId);
            _tracer = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(ActivitySources)
                .AddOtlpExporter(o => Configure(o, "v1/traces"))
                .Build();
            _meter = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(Meters)
                .AddOtlpExporter(o => Configure(o, "v1/metrics"))
                .Build();
            return Task.CompletedTask;
        }

        private void Configure(OpenTelemetry.Exporter.OtlpExporterOptions options, string signalPath)
        {
            options.Protocol = http ? OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf : OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;
            options.Endpoint = http ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath) : endpoint;
        }

        public Task StopAsync(CancellationToken cancellationToken)
        {
            _tracer?.ForceFlush(2000);
            _meter?.ForceFlush(2000);
            return Task.CompletedTask;
        }

        public void Dispose()
        {
            _tracer?.Dispose();
            _meter?.Dispose();
        }
    }
}
