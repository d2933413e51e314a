using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Platform.DeadLetters;
using Platform.Hosting.Errors;
using Platform.Hosting.Security;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// The console's own sign-in: a cookie scheme (HttpOnly, SameSite=Strict, Secure over HTTPS, path <c>/ops/console</c>,
/// sliding idle timeout) and a policy requiring it with the <see cref="OpsScopes.Admin"/> scope; antiforgery tokens on every
/// POST. The JSON API keeps its <c>X-Api-Key</c> scheme only, so the cookie never authorizes it (no CSRF there). ADR 015.
/// </summary>
internal static class OpsConsoleAuth
{
    public const string Scheme = "OpsConsole";
    public const string Policy = "ops-console";
    public const string CookieName = "ops-console";
    public const string AntiforgeryCookieName = "ops-console-csrf";

    public static void Add(IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication().AddCookie(Scheme, _ => { });
        builder.Services.AddOptions<CookieAuthenticationOptions>(Scheme).Configure<IOptions<OpsConsoleOptions>>((cookie, console) =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.Path = ConsolePage.Root;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = console.Value.SessionIdleTimeout;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = $"{ConsolePage.Root}/login";
            cookie.LogoutPath = $"{ConsolePage.Root}/logout";
            cookie.AccessDeniedPath = $"{ConsolePage.Root}/login";
            // Every request: a session whose key was removed, rotated or lost its scope (at a restart) ends at once.
            cookie.Events.OnValidatePrincipal = async context =>
            {
                if (context.Principal is not { } principal || !context.HttpContext.RequestServices.GetRequiredService<ApiKeyLogin>().IsCurrent(principal))
                {
                    context.RejectPrincipal();
                    await context.HttpContext.SignOutAsync(Scheme);
                }
            };
        });
        builder.Services.AddAuthorizationBuilder().AddPolicy(Policy, p =>
            p.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireClaim(ApiKeyAuthentication.ScopeClaim, OpsScopes.Admin));
        builder.Services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AntiforgeryCookieName;
            o.Cookie.Path = ConsolePage.Root;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.FormFieldName = "__csrf";
            o.SuppressXFrameOptionsHeader = true;
        });
    }

    /// <summary>
    /// Every POST of the console must carry a valid antiforgery token, whether or not its handler reads a form field; one
    /// without is refused with 400 before the handler runs.
    /// </summary>
    public static RouteGroupBuilder RequireAntiforgery(this RouteGroupBuilder group)
    {
        group.WithMetadata(new RequireAntiforgeryTokenAttribute());
        group.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (HttpMethods.IsPost(http.Request.Method) && http.Features.Get<IAntiforgeryValidationFeature>() is not { IsValid: true })
            {
                return TypedResults.Problem(Problems.Create(
                    StatusCodes.Status400BadRequest, "Antiforgery token missing or invalid", "Reload the page and submit the form again."));
            }

            return await next(context);
        });
        return group;
    }
}
