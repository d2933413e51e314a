using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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
        var received = new ConcurrentBag<string>();
        await using var collector = await StartAsync(app => app.MapPost("/v1/{signal}", (string signal, HttpRequest request) =>
        {
            received.Add(signal + ":" + request.ContentType);
            return Results.Ok();
        }));

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = Address(collector);
        builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        builder.AddPlatformDefaults("traced-service");
        var service = builder.Build();
        service.UsePlatformDefaults();
        service.MapGet("/hello", () => "hi");
        await service.StartAsync();
        using (var client = new HttpClient { BaseAddress = new Uri(Address(service)) })
        {
            await client.GetStringAsync(new Uri("/hello", UriKind.Relative));
        }

        // Stopping flushes both providers.
        await service.StopAsync();
        await service.DisposeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(received.Contains("traces:application/x-protobuf") && received.Contains("metrics:application/x-protobuf")), TimeSpan.FromSeconds(15), "traces and metrics at the collector");
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

    private static async Task<WebApplication> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
