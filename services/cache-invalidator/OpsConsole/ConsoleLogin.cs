using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Platform.DeadLetters;
using Platform.Hosting.Security;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// Sign-in with a named ops key: the key is checked like the <c>X-Api-Key</c> header (<see cref="ApiKeyLogin"/>: constant
/// time, unknown keys counted per client), must carry the <see cref="OpsScopes.Admin"/> scope, and becomes a cookie holding
/// the key's name and scopes (never the key). A wrong key gets the form again with an error and no cookie.
/// </summary>
internal static partial class ConsoleLogin
{
    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/login", LoginPage).AllowAnonymous();
        console.MapPost("/login", SignInAsync).AllowAnonymous();
        console.MapPost("/logout", (Delegate)SignOutAsync);
    }

    private static IResult LoginPage(HttpContext context, ConsolePage page, string? returnUrl) =>
        Form(context, page, returnUrl, Html.Empty, StatusCodes.Status200OK);

    private static async Task<IResult> SignInAsync(
        HttpContext context, ConsolePage page, ApiKeyLogin login, [FromForm] string? key, [FromForm] string? returnUrl, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(ConsoleLogin));
        var principal = login.SignIn(key ?? "", context.Connection.RemoteIpAddress, OpsConsoleAuth.Scheme, out var retryAfter);
        if (retryAfter is { } wait)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Form(context, page, returnUrl, ConsolePage.Notice("bad", Html.Of($"Too many unknown keys from this address: try again in {seconds} s."), "login-error"),
                StatusCodes.Status429TooManyRequests);
        }

        if (principal is null)
        {
            return Form(context, page, returnUrl, ConsolePage.Notice("bad", Html.Of($"Unknown key."), "login-error"), StatusCodes.Status401Unauthorized);
        }

        var name = principal.Identity!.Name!;
        if (!principal.HasClaim(ApiKeyAuthentication.ScopeClaim, OpsScopes.Admin))
        {
            LogRefused(logger, name);
            return Form(context, page, returnUrl,
                ConsolePage.Notice("bad", Html.Of($"The key '{name}' does not have the {OpsScopes.Admin} scope."), "login-error"), StatusCodes.Status403Forbidden);
        }

        await context.SignInAsync(OpsConsoleAuth.Scheme, principal, new AuthenticationProperties { IsPersistent = false });
        LogSignedIn(logger, name);
        return Results.Redirect(LocalReturn(returnUrl));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context)
    {
        await context.SignOutAsync(OpsConsoleAuth.Scheme);
        return Results.Redirect($"{ConsolePage.Root}/login");
    }

    // Only pages of the console itself: an open redirect would turn the login page into a phishing aid.
    private static string LocalReturn(string? returnUrl) =>
        returnUrl is { Length: > 0 } url && url.StartsWith(ConsolePage.Root + "/", StringComparison.Ordinal) && !url.Contains("//", StringComparison.Ordinal)
            && !url.Contains('\\', StringComparison.Ordinal) && !url.StartsWith(ConsolePage.Root + "/login", StringComparison.Ordinal)
            ? url
            : $"{ConsolePage.Root}/dead-letters";

    private static IResult Form(HttpContext context, ConsolePage page, string? returnUrl, Html error, int statusCode) =>
        ConsolePage.Document(context, "Sign in", Html.Of($"""
            <main class="login">
              <h1>Ops console</h1>
              <p>Sign in with your own ops key (<code>Auth:ApiKeys:N</code> with scope <code>{OpsScopes.Admin}</code>): what you do is recorded under its name.</p>
              {error}
              <form method="post" action="{ConsolePage.Root}/login">{page.Token(context)}
                <input type="hidden" name="returnUrl" value="{LocalReturn(returnUrl)}">
                <label for="key">Ops key</label>
                <input id="key" name="key" type="password" autocomplete="current-password" required autofocus>
                <button type="submit">Sign in</button>
              </form>
            </main>
            """), statusCode);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor} signed in to the ops console")]
    private static partial void LogSignedIn(ILogger logger, string actor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Key {Actor} tried to sign in to the ops console without the ops scope")]
    private static partial void LogRefused(ILogger logger, string actor);
}
