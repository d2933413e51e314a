using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Platform.Hosting.Errors;
using Platform.Hosting.Http;

namespace Platform.Hosting.Security;

/// <summary>
/// What every service does about hostile clients beyond authentication (docs/security.md): strict JSON bodies
/// (<see cref="StrictJsonInput"/>), query and route text PostgreSQL can store (<see cref="RequestTextCheck"/>),
/// <c>X-Content-Type-Options: nosniff</c> on every response, health answers without failure text
/// (<see cref="HealthDisclosure"/>), and a bare 400 for a Host header outside <c>AllowedHosts</c>.
/// </summary>
public static class PlatformHardening
{
    public static IHostApplicationBuilder AddPlatformHardening(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.ConfigureHttpJsonOptions(o => StrictJsonInput.Apply(o.SerializerOptions));
        builder.Services.AddSingleton<HealthDisclosure.Causes>();
        builder.Services.AddSingleton<IPostConfigureOptions<HealthCheckServiceOptions>, HealthDisclosure>();
        // The default failure page is HTML that echoes nothing useful; the status says it all.
        builder.Services.Configure<HostFilteringOptions>(o => o.IncludeFailureMessage = false);
        return builder;
    }

    /// <summary>First in the pipeline: nosniff on every response (errors included), then the request text check.</summary>
    public static IApplicationBuilder UsePlatformHardening(this IApplicationBuilder app)
    {
        app.Use(static (context, next) =>
        {
            // OnStarting survives the exception handler's clearing of the response headers.
            context.Response.OnStarting(static state =>
            {
                ((HttpResponse)state).Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            }, context.Response);
            return next(context);
        });
        return app.UseRequestTextCheck();
    }

    /// <summary>
    /// Status pages for errors without a body (404 for an unknown route, 405 …): a ProblemDetails, or the bare status when
    /// the client refuses JSON (never the text/plain page ASP.NET Core writes by default).
    /// </summary>
    public static IApplicationBuilder UseProblemStatusPages(this IApplicationBuilder app) =>
        app.UseStatusCodePages(static context =>
            ProblemResponses.WriteAsync(context.HttpContext, Problems.Create(context.HttpContext.Response.StatusCode)));
}
