using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Platform.Hosting.Http;

/// <summary>
/// Answers <c>HEAD</c> for every <c>GET</c> route (RFC 9110 9.3.2): the request runs as a GET, so status, ETag,
/// Content-Length and every other header are the GET's, and the body is discarded.
/// </summary>
/// <remarks>
/// Minimal APIs map GET only. Must run before routing, so the GET endpoint is the one selected.
/// </remarks>
public static class HeadRequests
{
    public static IApplicationBuilder UseHeadAsGet(this IApplicationBuilder app) =>
        app.Use(static async (context, next) =>
        {
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await next(context);
                return;
            }

            var body = context.Response.Body;
            context.Request.Method = HttpMethods.Get;
            context.Response.Body = Stream.Null;
            try
            {
                await next(context);
            }
            finally
            {
                // Back to HEAD before the response completes: the server then expects no body for the Content-Length.
                context.Request.Method = HttpMethods.Head;
                context.Response.Body = body;
            }
        });
}
