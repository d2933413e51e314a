using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Platform.Testing;

/// <summary>
/// A fake OTLP/HTTP collector on a free loopback port: accepts <c>POST /v1/{traces|metrics|logs}</c> and keeps every body
/// as sent (http/protobuf). Point a service at it with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> = <see cref="Endpoint"/> and
/// <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>. No OpenTelemetry code reads what arrives: <see cref="Spans"/> decodes
/// the protobuf itself, so a test sees exactly what left the service.
/// </summary>
public sealed class OtlpCollector : IAsyncDisposable
{
    private readonly ConcurrentQueue<OtlpRequest> _requests = new();
    private WebApplication? _app;

    /// <summary>The base address to configure as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every export request received so far, in arrival order.</summary>
    public IReadOnlyList<OtlpRequest> Requests => [.. _requests];

    /// <summary>Every span of every trace export received so far, decoded.</summary>
    public IReadOnlyList<OtlpSpan> Spans => [.. _requests.Where(r => r.Signal == "traces").SelectMany(r => OtlpSpan.Parse(r.Body))];

    public static async Task<OtlpCollector> StartAsync()
    {
        var collector = new OtlpCollector();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
            collector._requests.Enqueue(new OtlpRequest(signal, request.ContentType, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        collector._app = app;
        collector.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}

/// <summary>One OTLP export request: the signal from its path, its content type and its raw body.</summary>
public sealed record OtlpRequest(string Signal, string? ContentType, byte[] Body);
