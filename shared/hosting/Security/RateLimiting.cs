using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using Platform.Hosting.Errors;

namespace Platform.Hosting.Security;

/// <summary>Token buckets per client for writes and for the ops API (section <c>RateLimiting</c>).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimiting";

    /// <summary>Sustained requests per second per client. 50/s is far above a human and far below what hurts a node.</summary>
    [Range(1, 100_000)]
    public int PermitsPerSecond { get; set; } = 50;

    /// <summary>Short bursts allowed above the sustained rate.</summary>
    [Range(1, 100_000)]
    public int Burst { get; set; } = 100;

    /// <summary>
    /// Ops requests per client added back each minute (<c>/ops</c>: list, show, replay, purge), up to <see cref="OpsBurst"/>.
    /// Each can scan the dead-letter table or publish thousands of messages; two a second is more than a person or a
    /// script needs.
    /// </summary>
    [Range(1, 1_000_000)]
    public int OpsPermitsPerMinute { get; set; } = 120;

    /// <summary>Ops requests one client may make at once before it waits for the next minute's permits.</summary>
    [Range(1, 1_000_000)]
    public int OpsBurst { get; set; } = 120;
}

/// <summary>
/// The <c>writes</c> and <c>ops</c> rate-limit policies: one token bucket per API key name (or per client address when
/// anonymous). A rejected request gets 429 with <c>Retry-After</c> and a ProblemDetails body (a bare status when the
/// client refuses JSON).
/// </summary>
public static class RateLimiting
{
    public const string WritesPolicy = "writes";

    public const string OpsPolicy = "ops";

    public static IHostApplicationBuilder AddPlatformRateLimiting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(WritesPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return Bucket(context, options.Burst, options.PermitsPerSecond, TimeSpan.FromSeconds(1));
            });
            limiter.AddPolicy(OpsPolicy, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value;
                return Bucket(context, options.OpsBurst, options.OpsPermitsPerMinute, TimeSpan.FromMinutes(1));
            });
            limiter.OnRejected = (context, _) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
                context.HttpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(ProblemResponses.WriteAsync(
                    context.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests", $"Rate limit exceeded; retry after {retryAfter} s."));
            };
        });
        return builder;
    }

    // One bucket per key name, or per client address when anonymous; each policy has its own buckets.
    private static RateLimitPartition<string> Bucket(HttpContext context, int burst, int tokens, TimeSpan period)
    {
        var client = context.User.Identity?.IsAuthenticated == true
            ? "key:" + context.User.Identity.Name
            : "ip:" + FailedKeyLimiter.ClientOf(context.Connection.RemoteIpAddress);
        return RateLimitPartition.GetTokenBucketLimiter(client, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
