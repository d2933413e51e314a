using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;

namespace Catalog.Api.Products;

/// <summary>
/// Who may record a view (<c>POST /api/products/{id}/views</c>): anyone, without a key — a storefront's browsers have none
/// to hold — under ONE token bucket per node for all clients (<see cref="ViewLimitOptions"/>). A bucket per client
/// address would be shared by every client behind one proxy, and sidestepped by any client with many addresses; a global
/// bucket bounds what views can cost the node and its outbox whoever sends them. The price: a flood of fake views can
/// crowd out real ones for as long as it lasts (analytics undercount), never reads or keyed writes (docs/security.md).
/// </summary>
public static class ViewLimits
{
    /// <summary>The rate-limit policy of the views endpoint.</summary>
    public const string Policy = "views";

    public static IHostApplicationBuilder AddViewLimits(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddValidatedOptions<ViewLimitOptions>(ViewLimitOptions.Section);
        // The platform's limiter answers refusals (429, Retry-After, ProblemDetails); this only adds the policy.
        builder.Services.AddRateLimiter(limiter => limiter.AddPolicy(Policy, context =>
        {
            var options = context.RequestServices.GetRequiredService<IOptions<ViewLimitOptions>>().Value;
            return RateLimitPartition.GetTokenBucketLimiter(Policy, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = options.ViewsBurst,
                TokensPerPeriod = options.ViewsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        }));
        return builder;
    }
}
