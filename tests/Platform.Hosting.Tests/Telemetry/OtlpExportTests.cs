using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.Testing;

namespace Platform.Hosting.Tests.Telemetry;

/// <summary>With an OTLP endpoint configured, a service exports its traces and metrics there.</summary>
public sealed class OtlpExportTests
{
    [Fact]
    public async Task ServiceExportsTracesAndMetricsToTheConfiguredOtlpEndpoint()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString();
        builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        builder.AddPlatformDefaults("traced-service");
        var service = builder.Build();
        service.UsePlatformDefaults();
        service.MapGet("/hello", () => "hi");
        await service.StartAsync();
        using (var client = new HttpClient { BaseAddress = new Uri(Address(service)) })
        {
            await client.GetStringAsync(new Uri("/hello", UriKind.Relative));
            await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        }

        // Stopping flushes both providers.
        await service.StopAsync();
        await service.DisposeAsync();

        await Eventually.TrueAsync(
            () => Task.FromResult(collector.Requests.Any(r => r is { Signal: "traces", ContentType: "application/x-protobuf" })
                && collector.Requests.Any(r => r is { Signal: "metrics", ContentType: "application/x-protobuf" })),
            TimeSpan.FromSeconds(15),
            "traces and metrics at the collector");
        var spans = collector.Spans;
        Assert.Contains(spans, s => s is { Service: "traced-service", Scope: "Microsoft.AspNetCore", Name: "GET /hello", Kind: 2 });
        // Scrapes and probes are not traced: they would bury the requests worth tracing.
        Assert.DoesNotContain(spans, s => s.Name.Contains("/metrics", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnOrchestratorsResourceNameIsKeptAndLogsAreExportedToo()
    {
        await using var collector = await OtlpCollector.StartAsync();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString();
        builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        // What the Aspire AppHost sets for the second catalog node.
        builder.Configuration["OTEL_SERVICE_NAME"] = "catalog-api-2";
        builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"] = "service.instance.id=node-2-instance";
        builder.AddPlatformDefaults("catalog-api");
        var service = builder.Build();
        service.UsePlatformDefaults();
        service.MapGet("/hello", (ILogger<OtlpExportTests> logger) =>
        {
            logger.LogInformation("hello from {Node}", "node 2");
            return "hi";
        });
        await service.StartAsync();
        using (var client = new HttpClient { BaseAddress = new Uri(Address(service)) })
        {
            await client.GetStringAsync(new Uri("/hello", UriKind.Relative));
        }

        await service.StopAsync();
        await service.DisposeAsync();

        await Eventually.TrueAsync(
            () => Task.FromResult(collector.Requests.Any(r => r.Signal == "traces") && collector.Requests.Any(r => r.Signal == "logs")),
            TimeSpan.FromSeconds(15),
            "traces and logs at the collector");
        Assert.Contains(collector.Spans, s => s is { Service: "catalog-api-2", Name: "GET /hello" });
        Assert.DoesNotContain(collector.Spans, s => s.Service == "catalog-api");
        // The log record travels as protobuf: its formatted text and the resource attributes appear as UTF-8 strings.
        var logs = collector.Requests.Where(r => r.Signal == "logs").Select(r => System.Text.Encoding.UTF8.GetString(r.Body)).ToList();
        Assert.Contains(logs, body => body.Contains("hello from node 2", StringComparison.Ordinal) && body.Contains("node-2-instance", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WithoutAnEndpointNothingIsTraced()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.AddPlatformDefaults("quiet-service");
        await using var service = builder.Build();

        // No tracer at all: spans nobody exports would be pure cost. Metrics are still collected, for /metrics.
        Assert.Null(service.Services.GetService<TracerProvider>());
        Assert.NotNull(service.Services.GetService<MeterProvider>());
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
