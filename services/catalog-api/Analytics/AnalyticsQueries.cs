using Npgsql;
using NpgsqlTypes;

namespace Catalog.Api.Analytics;

/// <summary>
/// The catalog's reads of the analytics aggregator's tables (schema <c>analytics</c>, same database). Read-only: the
/// aggregator owns and writes them; docs/adr/008-analytics-rollups.md. Each query is an index-only scan of the
/// covering index named beside it.
/// </summary>
public static class AnalyticsQueries
{
    /// <summary>
    /// Popular products of one category: a range of analytics.product_daily_pkey (category_id, day, product_id)
    /// INCLUDE (views), summed per product, then the catalog's row of each for its name, current category and status
    /// (only products still active in the category are listed).
    /// </summary>
    public const string PopularInCategorySql = """
        SELECT d.product_id, p.name, p.category_id, d.views
        FROM (
            SELECT product_id, sum(views)::bigint AS views
            FROM analytics.product_daily
            WHERE category_id = @category AND day BETWEEN @from AND @to
            GROUP BY product_id
            HAVING sum(views) > 0
        ) d
        JOIN catalog.products p ON p.id = d.product_id
        WHERE p.status = 'active' AND p.category_id = @category
        ORDER BY d.views DESC, d.product_id
        LIMIT @limit
        """;

    /// <summary>Popular products across every category: a range of analytics.product_daily_day_idx (day) INCLUDE (product_id, views).</summary>
    public const string PopularSql = """
        SELECT d.product_id, p.name, p.category_id, d.views
        FROM (
            SELECT product_id, sum(views)::bigint AS views
            FROM analytics.product_daily
            WHERE day BETWEEN @from AND @to
            GROUP BY product_id
            HAVING sum(views) > 0
        ) d
        JOIN catalog.products p ON p.id = d.product_id
        WHERE p.status = 'active'
        ORDER BY d.views DESC, d.product_id
        LIMIT @limit
        """;

    /// <summary>A category's days: a range of analytics.category_daily_pkey (category_id, day) INCLUDE (views, products_viewed, active_products).</summary>
    public const string CategoryDailySql = """
        SELECT day, views, products_viewed, active_products
        FROM analytics.category_daily
        WHERE category_id = @category AND day BETWEEN @from AND @to
        ORDER BY day
        """;

    public static async Task<IReadOnlyList<PopularProductDto>> PopularAsync(
        NpgsqlDataSource db, long? categoryId, DateOnly from, DateOnly to, int limit, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(categoryId is null ? PopularSql : PopularInCategorySql);
        if (categoryId is { } category)
        {
            command.Parameters.Add(new NpgsqlParameter<long>("category", category));
        }

        command.Parameters.Add(new NpgsqlParameter<DateOnly>("from", from) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("to", to) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<PopularProductDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new PopularProductDto(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return items;
    }

    /// <summary>Every day of [<paramref name="from"/>, <paramref name="to"/>], zeros where nothing happened (so charts need no gap filling).</summary>
    public static async Task<IReadOnlyList<CategoryDayDto>> CategoryDailyAsync(
        NpgsqlDataSource db, long categoryId, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(CategoryDailySql);
        command.Parameters.Add(new NpgsqlParameter<long>("category", categoryId));
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("from", from) { NpgsqlDbType = NpgsqlDbType.Date });
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("to", to) { NpgsqlDbType = NpgsqlDbType.Date });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new Dictionary<DateOnly, CategoryDayDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var day = reader.GetFieldValue<DateOnly>(0);
            rows[day] = new CategoryDayDto(day, reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3));
        }

        var days = new List<CategoryDayDto>(to.DayNumber - from.DayNumber + 1);
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            days.Add(rows.TryGetValue(day, out var row) ? row : new CategoryDayDto(day, 0, 0, 0));
        }

        return days;
    }
}

/// <summary>A product and its views over the requested days.</summary>
public sealed record PopularProductDto(long ProductId, string Name, long CategoryId, long Views);

/// <summary>The most viewed active products over [<paramref name="From"/>, <paramref name="To"/>] (UTC days), most viewed first.</summary>
public sealed record PopularProductsResponse(long? CategoryId, int Days, DateOnly From, DateOnly To, IReadOnlyList<PopularProductDto> Items);

/// <summary>One UTC day of a category: views, distinct products viewed, and products with any event that day.</summary>
public sealed record CategoryDayDto(DateOnly Day, long Views, int ProductsViewed, int ActiveProducts);

public sealed record CategoryDailyResponse(long CategoryId, DateOnly From, DateOnly To, IReadOnlyList<CategoryDayDto> Days);
