using System.Globalization;
using Npgsql;
using NpgsqlTypes;

namespace Catalog.Api.Seeding;

/// <summary>
/// Deterministic demo data: the same ids, names, prices and timestamps on every machine, so benchmarks and
/// demos compare like with like. Idempotent: existing slugs and skus are left alone. Writes no outbox events
/// (nothing is cached before the first start).
/// </summary>
public sealed class DemoSeeder(NpgsqlDataSource db, ILogger<DemoSeeder> logger)
{
    private static readonly string[] Adjectives =
    [
        "Classic", "Modern", "Rustic", "Urban", "Vintage", "Compact", "Deluxe", "Eco", "Smart", "Portable",
        "Heavy", "Light", "Premium", "Basic", "Sport", "Outdoor", "Indoor", "Wireless", "Ergonomic", "Handmade",
    ];

    private static readonly string[] Materials =
        ["Steel", "Oak", "Cotton", "Leather", "Glass", "Ceramic", "Bamboo", "Carbon", "Wool", "Copper"];

    private static readonly string[] Nouns =
    [
        "Audio", "Books", "Cameras", "Furniture", "Garden", "Kitchen", "Lighting", "Music", "Office", "Outdoor",
        "Pets", "Shoes", "Sports", "Tools", "Toys", "Travel", "Watches", "Wellness", "Bags", "Bikes",
        "Coffee", "Crafts", "Decor", "Fitness", "Games",
    ];

    private static readonly string[] ProductNouns =
        ["Chair", "Lamp", "Kettle", "Backpack", "Speaker", "Notebook", "Jacket", "Bottle", "Clock", "Board", "Mug", "Desk"];

    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public async Task<(int Categories, int Products)> SeedAsync(int categories, int products, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var insertedCategories = await SeedCategoriesAsync(connection, categories, cancellationToken);
        var insertedProducts = await SeedProductsAsync(connection, categories, products, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        logger.LogInformation("Seeded {Categories} new categories and {Products} new products", insertedCategories, insertedProducts);
        return (insertedCategories, insertedProducts);
    }

    internal static (string Slug, string Name) Category(int index)
    {
        var noun = Nouns[index % Nouns.Length];
        var adjective = Adjectives[index / Nouns.Length % Adjectives.Length];
        var name = index < Nouns.Length ? noun : $"{adjective} {noun}";
        return (name.ToLowerInvariant().Replace(' ', '-'), name);
    }

    private static async Task<int> SeedCategoriesAsync(NpgsqlConnection connection, int count, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO catalog.categories (slug, name, description, created_at, updated_at)
            SELECT s.slug, s.name, 'Demo category ' || s.name, s.at, s.at
            FROM unnest(@slugs, @names, @ats) AS s(slug, name, at)
            ON CONFLICT (slug) DO NOTHING
            """;
        var slugs = new string[count];
        var names = new string[count];
        var ats = new DateTimeOffset[count];
        for (var i = 0; i < count; i++)
        {
            (slugs[i], names[i]) = Category(i);
            ats[i] = Epoch.AddHours(i);
        }

        command.Parameters.AddWithValue("slugs", slugs);
        command.Parameters.AddWithValue("names", names);
        command.Parameters.AddWithValue("ats", ats);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<int> SeedProductsAsync(NpgsqlConnection connection, int categories, int count, CancellationToken cancellationToken)
    {
        await using (var create = connection.CreateCommand())
        {
            create.CommandText = """
                CREATE TEMP TABLE seed_products (
                    sku text, name text, description text, category_slug text, price numeric(12,2),
                    status text, created_at timestamptz
                ) ON COMMIT DROP
                """;
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var random = new Random(20261121);
        await using (var writer = await connection.BeginBinaryImportAsync(
            "COPY seed_products (sku, name, description, category_slug, price, status, created_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var i = 1; i <= count; i++)
            {
                var name = $"{Adjectives[random.Next(Adjectives.Length)]} {Materials[random.Next(Materials.Length)]} {ProductNouns[random.Next(ProductNouns.Length)]} {i}";
                var roll = random.Next(100);
                var status = roll < 85 ? "active" : roll < 95 ? "draft" : "archived";
                var price = Math.Round((decimal)(random.NextDouble() * 990 + 1), 2);
                await writer.StartRowAsync(cancellationToken);
                await writer.WriteAsync($"SKU-{i.ToString("D6", CultureInfo.InvariantCulture)}", NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(name, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync($"Demo product {i}: {name.ToLowerInvariant()}.", NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(Category(random.Next(categories)).Slug, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(price, NpgsqlDbType.Numeric, cancellationToken);
                await writer.WriteAsync(status, NpgsqlDbType.Text, cancellationToken);
                await writer.WriteAsync(Epoch.AddMinutes(i * 7), NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await writer.CompleteAsync(cancellationToken);
        }

        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO catalog.products (sku, name, description, category_id, price, currency, status, created_at, updated_at)
            SELECT s.sku, s.name, s.description, c.id, s.price, 'EUR', s.status, s.created_at, s.created_at
            FROM seed_products s JOIN catalog.categories c ON c.slug = s.category_slug
            ORDER BY s.sku
            ON CONFLICT (sku) DO NOTHING
            """;
        return await insert.ExecuteNonQueryAsync(cancellationToken);
    }
}
