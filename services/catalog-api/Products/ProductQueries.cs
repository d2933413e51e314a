using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Catalog.Api.Products;

/// <summary>
/// The product read queries: one statement per request, each a range scan of the partial index named in
/// migration 0003 (a test checks the plans). Pages fetch limit + 1 rows to know whether a next page exists.
/// </summary>
internal static class ProductQueries
{
    private const string Columns = "id, sku, name, description, category_id, price, currency, status, created_at, updated_at, version";

    public static async Task<ProductDto?> GetAsync(NpgsqlDataSource db, long id, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand($"SELECT {Columns} FROM catalog.products WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public static async Task<ProductPage> ListAsync(NpgsqlDataSource db, long? categoryId, ProductSort sort, int limit, ProductCursor? after, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ListSql(categoryId is not null, sort, after is not null));
        command.Parameters.Add(new NpgsqlParameter<int>("limit", limit + 1));
        if (categoryId is { } category)
        {
            command.Parameters.Add(new NpgsqlParameter<long>("category", category));
        }

        if (after is not null)
        {
            command.Parameters.Add(new NpgsqlParameter<long>("after_id", after.Id));
            command.Parameters.Add(sort switch
            {
                ProductSort.Recent => new NpgsqlParameter<DateTimeOffset>("after_value", new DateTimeOffset(long.Parse(after.Value, CultureInfo.InvariantCulture), TimeSpan.Zero)),
                ProductSort.Name => new NpgsqlParameter<string>("after_value", NpgsqlDbType.Text) { TypedValue = after.Value },
                _ => new NpgsqlParameter<decimal>("after_value", decimal.Parse(after.Value, CultureInfo.InvariantCulture)),
            });
        }

        var items = new List<ProductDto>(limit + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(Read(reader));
            }
        }

        string? next = null;
        if (items.Count > limit)
        {
            items.RemoveAt(limit);
            next = ProductCursor.ForRow(sort, items[^1]).Encode();
        }

        return new ProductPage(items, next);
    }

    /// <summary>The list statement for one shape. Row comparisons keep the keyset condition on the index key.</summary>
    internal static string ListSql(bool byCategory, ProductSort sort, bool hasCursor)
    {
        var (order, keyset) = sort switch
        {
            ProductSort.Recent => ("created_at DESC, id DESC", "(created_at, id) < (@after_value, @after_id)"),
            ProductSort.Name => ("name, id", "(name, id) > (@after_value, @after_id)"),
            ProductSort.PriceAsc => ("price, id", "(price, id) > (@after_value, @after_id)"),
            _ => ("price DESC, id DESC", "(price, id) < (@after_value, @after_id)"),
        };
        return $"""
            SELECT {Columns}
            FROM catalog.products
            WHERE status = 'active'{(byCategory ? " AND category_id = @category" : "")}{(hasCursor ? " AND " + keyset : "")}
            ORDER BY {order}
            LIMIT @limit
            """;
    }

    private static ProductDto Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetInt64(4),
        reader.GetDecimal(5),
        reader.GetString(6).TrimEnd(),
        reader.GetString(7),
        reader.GetFieldValue<DateTimeOffset>(8),
        reader.GetFieldValue<DateTimeOffset>(9),
        reader.GetInt32(10));
}
