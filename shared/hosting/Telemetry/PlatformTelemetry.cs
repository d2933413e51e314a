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

        services.AddSingleton(new TelemetryProviders(serviceName));
        services.AddHostedService(sp => sp.GetRequiredService<TelemetryProviders>());
    }

    /// <summary>Owns the providers so they flush on shutdown.</summary>
    private sealed class TelemetryProviders(string serviceName) : IHostedService, IDisposable
    {
        private TracerProvider? _tracer;
        private MeterProvider? _meter;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceInstanceId: Environment.MachineName + "-" + Environment.ProcessId);
            _tracer = Sdk.CreateTracerProviderBuilder()
                .SetResourceBuilder(resource)
                .AddSource(ActivitySources)
                .AddOtlpExporter()
                .Build();
            _meter = Sdk.CreateMeterProviderBuilder()
                .SetResourceBuilder(resource)
                .AddMeter(Meters)
                .AddOtlpExporter()
                .Build();
            return Task.CompletedTask;
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
