using Npgsql;

namespace Catalog.Api.Categories;

internal static class CategoryQueries
{
    // Uses categories_name_idx; one query, no per-row lookups.
    private const string ListSql = """
        SELECT id, slug, name, description, version, updated_at
        FROM catalog.categories
        ORDER BY name, id
        """;

    public static async Task<IReadOnlyList<CategoryDto>> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(ListSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<CategoryDto>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new CategoryDto(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4),
                reader.GetFieldValue<DateTimeOffset>(5)));
        }

        return items;
    }
}
