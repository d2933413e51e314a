using System.Globalization;
using Catalog.Api.Categories;
using Catalog.Api.Http;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Hosting.Errors;

namespace Catalog.Api.Analytics;

/// <summary>
/// Cached analytics reads: <c>GET /api/products/popular</c> and <c>GET /api/analytics/categories/{id}/daily</c>. Entries
/// carry the analytics tags that the invalidator evicts when the aggregator announces a rollup of their category, so
/// they are fresh after the next rollup; popular lists also carry the product-list tags, so a renamed, moved or
/// deactivated product leaves them at once.
/// </summary>
public static class AnalyticsReadEndpoints
{
    public const int DefaultDays = 7;
    public const int MaxDays = 90;
    public const int DefaultLimit = 10;
    public const int MaxLimit = 100;
    public const int DefaultSeriesDays = 30;
    public const int MaxSeriesDays = 366;

    /// <summary>Earliest day a daily series may name: before the platform, there is nothing to count.</summary>
    public static readonly DateOnly FirstDay = new(2000, 1, 1);

    /// <summary>Latest day a daily series may name: far in the future, and far from the end of the calendar.</summary>
    public static readonly DateOnly LastDay = new(2999, 12, 31);

    public static IEndpointRouteBuilder MapAnalyticsReads(this IEndpointRouteBuilder app)
    {
        // "popular" never matches the product routes' {id:long}, so the two groups share the prefix safely.
        app.MapGroup("/api/products").WithTags("Analytics")
            .MapGet("/popular", PopularAsync).WithName("PopularProducts")
            .Produces<PopularProductsResponse>(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGroup("/api/analytics").WithTags("Analytics")
            .MapGet("/categories/{id}/daily", CategoryDailyAsync).WithName("CategoryDailyStats")
            .Produces<CategoryDailyResponse>(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    internal static async Task<IResult> PopularAsync(
        HttpContext context, NpgsqlDataSource db, ITwoLevelCache cache, CachedJson cached, CategoryDirectory categories,
        IOptions<CatalogOptions> options, TimeProvider time, string? category, string? days, string? limit, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var window = ParseInt(days, "days", DefaultDays, MaxDays, errors);
        var size = ParseInt(limit, "limit", DefaultLimit, MaxLimit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors, "Invalid popular products parameters");
        }

        long? categoryId = null;
        if (!string.IsNullOrEmpty(category))
        {
            categoryId = await categories.ResolveAsync(category, cancellationToken);
            if (categoryId is null)
            {
                return Problems.NotFound("Category", category);
            }
        }

        var today = Today(time);
        var from = today.AddDays(1 - window);
        string[] tags = categoryId is { } c
            ? [CacheNames.AnalyticsCategory(c), CacheNames.CategoryTag(c)]
            : [CacheNames.AllCategoriesAnalytics, CacheNames.AllCategoriesProductLists];
        var payload = await GetAsync(cache, options.Value, time, CacheNames.PopularProducts(categoryId, window, size), tags,
            (db, categoryId, window, from, today, size), static async (s, ct) =>
            {
                var items = await AnalyticsQueries.PopularAsync(s.db, s.categoryId, s.from, s.today, s.size, ct);
                return (CachedJson.Build(new PopularProductsResponse(s.categoryId, s.window, s.from, s.today, items)), items.Count == 0);
            },
            cancellationToken);
        return cached.Write(context, payload);
    }

    internal static async Task<IResult> CategoryDailyAsync(
        HttpContext context, string id, NpgsqlDataSource db, ITwoLevelCache cache, CachedJson cached, CategoryDirectory categories,
        IOptions<CatalogOptions> options, TimeProvider time, string? from, string? to, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var last = ParseDay(to, "to", Today(time), errors);
        var first = ParseDay(from, "from", last.AddDays(1 - DefaultSeriesDays), errors);
        if (errors.Count == 0 && first > last)
        {
            errors["from"] = ["must not be after to"];
        }
        else if (errors.Count == 0 && last.DayNumber - first.DayNumber + 1 > MaxSeriesDays)
        {
            errors["from"] = [$"from and to must span at most {MaxSeriesDays} days"];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors, "Invalid daily statistics parameters");
        }

        if (await categories.ResolveAsync(id, cancellationToken) is not { } categoryId)
        {
            return Problems.NotFound("Category", id);
        }

        var payload = await GetAsync(cache, options.Value, time, CacheNames.CategoryDaily(categoryId, first, last), [CacheNames.AnalyticsCategory(categoryId)],
            (db, categoryId, first, last), static async (s, ct) =>
            {
                var days = await AnalyticsQueries.CategoryDailyAsync(s.db, s.categoryId, s.first, s.last, ct);
                return (CachedJson.Build(new CategoryDailyResponse(s.categoryId, s.first, s.last, days)), days.Count == 0);
            },
            cancellationToken);
        return cached.Write(context, payload);
    }

    // The keys name a window relative to today (CacheNames has no date in them), so an entry must not outlive its UTC day.
    // A window without data (any window anyone can name) is a negative result: cached for NegativeCacheDuration only.
    private static async ValueTask<CachedPayload> GetAsync<TState>(
        ITwoLevelCache cache, CatalogOptions options, TimeProvider time, string key, string[] tags, TState state,
        Func<TState, CancellationToken, Task<(CachedPayload Payload, bool Negative)>> load, CancellationToken cancellationToken)
    {
        if (!options.CacheEnabled)
        {
            return (await load(state, cancellationToken)).Payload;
        }

        var now = time.GetUtcNow();
        var untilMidnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero) - now;
        var duration = untilMidnight < options.CacheDuration ? untilMidnight : options.CacheDuration;
        var entry = new CacheEntryOptions { Duration = duration > TimeSpan.FromSeconds(1) ? duration : TimeSpan.FromSeconds(1) };
        var negative = new CacheEntryOptions { Duration = options.NegativeCacheDuration < entry.Duration ? options.NegativeCacheDuration : entry.Duration, FailSafeMaxDuration = null };
        return await cache.GetOrSetAsync(key, (state, load, negative), static async (s, context, ct) =>
        {
            var (payload, isNegative) = await s.load(s.state, ct);
            if (isNegative)
            {
                context.Options = s.negative;
            }

            return payload;
        }, entry, tags, cancellationToken);
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static int ParseInt(string? value, string name, int fallback, int max, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return fallback;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed >= 1 && parsed <= max)
        {
            return parsed;
        }

        errors[name] = [$"must be a whole number from 1 to {max}"];
        return fallback;
    }

    private static DateOnly ParseDay(string? value, string name, DateOnly fallback, Dictionary<string, string[]> errors)
    {
        if (value is null)
        {
            return fallback;
        }

        if (!DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            errors[name] = ["must be a UTC day written yyyy-MM-dd"];
            return fallback;
        }

        // Checked before any arithmetic: a series of up to a year around a day near the ends of the calendar overflows.
        if (day < FirstDay || day > LastDay)
        {
            errors[name] = [$"must be a day from {FirstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} to {LastDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"];
            return fallback;
        }

        return day;
    }
}
