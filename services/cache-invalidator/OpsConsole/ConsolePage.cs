using System.Text;
using Microsoft.AspNetCore.Antiforgery;

namespace CacheInvalidator.OpsConsole;

/// <summary>
/// The frame of every console page: head, navigation, the signed-in key's name with a sign-out button, the status strip,
/// and the headers that keep the page to itself (no scripts at all, no framing, no caching, no referrer). Forms get the
/// antiforgery token through <see cref="Token"/>.
/// </summary>
internal sealed class ConsolePage(IAntiforgery antiforgery, StatusStrip status)
{
    public const string Root = "/ops/console";

    // No script runs on these pages; styles come from one served file. Forms may post only to this origin.
    private const string Policy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The hidden antiforgery field for a form of this request's user (sets the antiforgery cookie when needed).</summary>
    public Html Token(HttpContext context)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return Html.Of($"<input type=\"hidden\" name=\"{tokens.FormFieldName}\" value=\"{tokens.RequestToken}\">");
    }

    /// <summary>A page for a signed-in user, with navigation and the status strip.</summary>
    public async Task<IResult> RenderAsync(HttpContext context, string title, Html body, int statusCode = StatusCodes.Status200OK)
    {
        var strip = await status.RenderAsync(context.RequestAborted);
        var user = context.User.Identity?.Name ?? "";
        var nav = Html.Of($"""
            <header>
              <nav aria-label="Console">
                <strong><a href="{Root}/dead-letters">Ops console</a></strong>
                <a href="{Root}/dead-letters">Dead letters</a>
                <a href="{Root}/history">History</a>
                <a href="{Root}/cache">Cache</a>
                <a href="{Root}/cache/invalidations">Invalidation requests</a>
              </nav>
              <form method="post" action="{Root}/logout" class="user">{Token(context)}
                <span>signed in as <strong id="actor">{user}</strong></span>
                <button type="submit">Sign out</button>
              </form>
            </header>
            {strip}
            """);
        return Document(context, title, Html.Of($"{nav}<main><h1>{title}</h1>{body}</main>"), statusCode);
    }

    /// <summary>A page without navigation (the login page).</summary>
    public static IResult Document(HttpContext context, string title, Html body, int statusCode = StatusCodes.Status200OK)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.CacheControl = "no-store";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        var page = Html.Of($"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{title} · ops console</title>
            <link rel="stylesheet" href="{Root}/console.css">
            </head>
            <body>
            {body}
            </body>
            </html>
            """);
        return Results.Content(page.Value, "text/html; charset=utf-8", Encoding.UTF8, statusCode);
    }

    /// <summary>A message box: <c>ok</c>, <c>warn</c> or <c>bad</c>.</summary>
    public static Html Notice(string kind, Html text, string id = "notice") => Html.Of($"<p id=\"{id}\" class=\"notice {kind}\" role=\"status\">{text}</p>");

    /// <summary>Input problems, by field, as a list.</summary>
    public static Html Errors(IEnumerable<KeyValuePair<string, string[]>> errors) =>
        Html.Of($"""<div id="errors" class="notice bad" role="alert"><ul>{Html.Join(errors.SelectMany(e => e.Value.Select(m => Html.Of($"<li><code>{e.Key}</code>: {m}</li>"))))}</ul></div>""");
}
