using Platform.Hosting.Configuration;
using Platform.Hosting.Security;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// The ops console: server-rendered HTML pages under <c>/ops/console</c> on the invalidator (dead letters, history, cache
/// look-up and invalidation, a status strip), signed in with a named ops key. The JSON API under <c>/ops/dead-letters</c>
/// is separate and unchanged. ADR 015, docs/operations.md.
/// </summary>
public static class OpsConsoleExtensions
{
    /// <summary>Options, the cookie scheme, antiforgery and the page services. Expects <c>AddApiKeyAuthentication</c>.</summary>
    public static IHostApplicationBuilder AddOpsConsole(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddValidatedOptions<OpsConsoleOptions>(OpsConsoleOptions.Section);
        OpsConsoleAuth.Add(builder);
        builder.Services.AddSingleton<StatusStrip>();
        builder.Services.AddSingleton<ConsolePage>();
        return builder;
    }

    /// <summary>The pages; call after authentication, authorization and antiforgery middleware.</summary>
    public static IEndpointRouteBuilder MapOpsConsole(this IEndpointRouteBuilder app)
    {
        var console = app.MapGroup(ConsolePage.Root)
            .RequireAuthorization(OpsConsoleAuth.Policy)
            .RequireRateLimiting(RateLimiting.OpsPolicy)
            .RequireAntiforgery()
            .ExcludeFromDescription();
        console.MapGet("/console.css", () => Results.Text(ConsoleStyle.Css, "text/css; charset=utf-8")).AllowAnonymous();
        ConsoleLogin.Map(console);
        DeadLetterPages.Map(console);
        DeadLetterActions.Map(console);
        CachePages.Map(console);
        return app;
    }
}
