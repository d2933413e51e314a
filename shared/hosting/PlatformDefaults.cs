using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Platform.Hosting.Configuration;
using Platform.Hosting.Errors;
using Platform.Hosting.Http;
using Platform.Hosting.Metrics;
using Platform.Hosting.Security;
using Platform.Hosting.Telemetry;

namespace Platform.Hosting;

/// <summary>
/// What every service of the platform gets: validated options, health endpoints, ProblemDetails for every
/// error, telemetry and <c>/metrics</c>. A service adds its own servers with <c>AddPlatformPostgres</c>,
/// <c>AddPlatformRedis</c> and the bus setup of Platform.Messaging.
/// </summary>
public static class PlatformDefaults
{
    /// <summary>Default request body limit. Catalog bodies are a few KB; anything near this is abuse, answered with 413.</summary>
    public const long MaxRequestBodyBytes = 256 * 1024;

    public static WebApplicationBuilder AddPlatformDefaults(this WebApplicationBuilder builder, string serviceName)
    {
        builder.Services.AddSingleton(new ServiceName(serviceName));
        builder.Services.AddValidatedOptions<ServiceOptions>(ServiceOptions.Section)
            .PostConfigure(o => o.Name = string.IsNullOrEmpty(o.Name) ? serviceName : o.Name);

        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = builder.Configuration.GetValue("Kestrel:Limits:MaxRequestBodySize", MaxRequestBodyBytes);
            k.AddServerHeader = false;
        });

        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path;
            context.ProblemDetails.Extensions.TryAdd("traceId", System.Diagnostics.Activity.Current?.TraceId.ToString() ?? context.HttpContext.TraceIdentifier);
        });
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.AddPlatformHardening();
        builder.AddForwardedClients();
        // A body that does not bind (malformed JSON, a wrong type, another content type) throws, so the handler
        // answers with the field and the reason instead of a bare 400.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddHealthChecks();
        builder.AddPlatformTelemetry(serviceName);
        return builder;
    }

    /// <summary>Error handling middleware and the platform endpoints (<c>/health/*</c>, <c>/metrics</c>).</summary>
    public static WebApplication UsePlatformDefaults(this WebApplication app)
    {
        app.UseForwardedClients();
        app.UsePlatformHardening();
        app.UseExceptionHandler();
        app.UseProblemStatusPages();
        app.UseHeadAsGet();
        // Explicit, so routing runs after the HEAD rewrite (the implicit one would run first of all).
        app.UseRouting();
        app.MapPlatformHealth();
        app.MapPrometheusMetrics();
        return app;
    }

    /// <summary>
    /// Validates every option right after <c>Build()</c>, before anything resolves a service that reads one.
    /// On failure prints one line naming the key(s) to stderr and returns false: the caller exits with
    /// <see cref="StartupValidation.ConfigurationErrorExitCode"/> instead of crashing with a stack trace.
    /// </summary>
    public static bool HasValidConfiguration(this WebApplication app)
    {
        var name = app.Services.GetService<ServiceName>()?.Value ?? app.Environment.ApplicationName;
        return StartupValidation.TryValidate(app.Services, name);
    }
}

/// <summary>The name a service registered with, for messages printed before options are usable.</summary>
internal sealed record ServiceName(string Value);
