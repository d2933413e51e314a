using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Messaging.Outbox;
using Platform.Testing;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxWriterTests
{
    [Fact]
    public async Task EventsCommitExactlyWhenTheirTransactionCommits()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var writer = new OutboxWriter("catalog", "tests");
        await using var connection = await db.DataSource.OpenConnectionAsync();

        await using (var rolledBack = await connection.BeginTransactionAsync())
        {
            await writer.WriteAsync(connection, rolledBack, [RelayHarness.NewEvent(), RelayHarness.NewEvent()]);
            await rolledBack.RollbackAsync();
        }

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox"));

        IReadOnlyList<Guid> ids;
        await using (var committed = await connection.BeginTransactionAsync())
        {
            ids = await writer.WriteAsync(connection, committed, [RelayHarness.NewEvent(), RelayHarness.NewEvent()]);
            await committed.CommitAsync();
        }

        Assert.Equal(ids, (await db.RowsAsync()).Select(r => r.MessageId));
    }

    [Fact]
    public async Task RowCarriesTheTypeNamePayloadAndHeadersOfTheWriter()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        using var source = new ActivitySource("outbox-writer-tests");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var created = new ProductCreated(5, "SKU-5", 7, 12.50m, "EUR", "draft", 1, DateTimeOffset.UtcNow);

        Guid id;
        string traceParent;
        using (var activity = source.StartActivity("write")!)
        {
            activity.TraceStateString = "vendor=1";
            traceParent = activity.Id!;
            await using var connection = await db.DataSource.OpenConnectionAsync();
            id = await new OutboxWriter("catalog", "catalog-api").WriteAsync(connection, null, created);
        }

        await using var command = db.DataSource.CreateCommand("SELECT message_type, payload::text, headers::text, attempts, created_at FROM catalog.outbox WHERE message_id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal("catalog.product-created.v1", reader.GetString(0));
        Assert.Equal(created, JsonSerializer.Deserialize<ProductCreated>(reader.GetString(1), new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        var headers = JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(2))!;
        Assert.Equal("catalog-api", headers["source"]);
        Assert.Equal(traceParent, headers["traceparent"]);
        Assert.Equal("vendor=1", headers["tracestate"]);
        Assert.Equal(0, reader.GetInt32(3));
        Assert.True(DateTimeOffset.UtcNow - reader.GetFieldValue<DateTimeOffset>(4) < TimeSpan.FromMinutes(1));
        Assert.Equal(7, id.Version);
    }

    [Fact]
    public async Task WritingAnUnregisteredTypeFailsBeforeTouchingTheDatabase()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        await using var connection = await db.DataSource.OpenConnectionAsync();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => new OutboxWriter("catalog").WriteAsync(connection, null, new { Hello = 1 }));

        Assert.Contains("not a registered message contract", error.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox"));
    }

    [Fact]
    public async Task InsertNotifiesTheRelayChannelOnlyWhenTheTransactionCommits()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        await using var listener = await db.DataSource.OpenConnectionAsync();
        var notifications = 0;
        listener.Notification += (_, e) =>
        {
            if (e.Channel == "catalog_outbox")
            {
                Interlocked.Increment(ref notifications);
            }
        };
        await using (var listen = new NpgsqlCommand("LISTEN catalog_outbox", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var writer = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await new OutboxWriter("catalog").WriteAsync(writer, transaction, [RelayHarness.NewEvent(), RelayHarness.NewEvent(), RelayHarness.NewEvent()]);

        // Nothing is delivered before commit: a wait that ends in a notification would mean an uncommitted wake-up.
        Assert.False(await listener.WaitAsync(TimeSpan.FromMilliseconds(300)));
        await transaction.CommitAsync();

        Assert.True(await listener.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, Volatile.Read(ref notifications));
    }

    [Fact]
    public async Task SaveChangesWritesTheChangeAndItsEventInOneTransaction()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();

        await using (var context = CatalogContext.Create(db))
        {
            await using var rolledBack = await context.Database.BeginTransactionAsync();
            context.Categories.Add(new Category { Slug = "rolled-back", Name = "Rolled back" });
            context.AddOutboxMessage(new CategoryChanged(0, "rolled-back", 1, DateTimeOffset.UtcNow), "catalog-api");
            await context.SaveChangesAsync();
            await rolledBack.RollbackAsync();
        }

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM catalog.categories WHERE slug = 'rolled-back'"));

        OutboxMessage message;
        await using (var context = CatalogContext.Create(db))
        {
            context.Categories.Add(new Category { Slug = "garden", Name = "Garden" });
            message = context.AddOutboxMessage(new CategoryChanged(0, "garden", 1, DateTimeOffset.UtcNow), "catalog-api");
            await context.SaveChangesAsync();
        }

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM catalog.categories WHERE slug = 'garden'"));
        var row = Assert.Single(await db.RowsAsync());
        Assert.Equal(message.MessageId, row.MessageId);
        Assert.Equal("catalog.category-changed.v1", row.MessageType);
        Assert.True(message.Id > 0);
        Assert.NotEqual(default, message.CreatedAt);
    }

    [Fact]
    public async Task EntityMappingMatchesTheMigratedTable()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        await using var context = CatalogContext.Create(db);
        var entity = context.Model.FindEntityType(typeof(OutboxMessage))!;
        var mapped = entity.GetProperties().Select(p => (p.GetColumnName(), p.GetColumnType())).OrderBy(c => c.Item1).ToList();

        await using var command = db.DataSource.CreateCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'catalog' AND table_name = 'outbox'");
        await using var reader = await command.ExecuteReaderAsync();
        var columns = new List<(string, string)>();
        while (await reader.ReadAsync())
        {
            columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        Assert.Equal(columns.Select(c => c.Item1).Order(), mapped.Select(c => c.Item1).Order());
        Assert.Equal(
            columns.OrderBy(c => c.Item1).Select(c => Normalise(c.Item2)),
            mapped.Select(c => Normalise(c.Item2)));
    }

    private static string Normalise(string type) => type switch
    {
        "timestamp with time zone" => "timestamptz",
        "bigint" => "bigint",
        "integer" => "integer",
        _ => type,
    };

    private sealed class Category
    {
        public long Id { get; set; }

        public string Slug { get; set; } = "";

        public string Name { get; set; } = "";
    }

    private sealed class CatalogContext(DbContextOptions<CatalogContext> options) : DbContext(options)
    {
        public DbSet<Category> Categories => Set<Category>();

        public static CatalogContext Create(TestDatabase db) =>
            new(new DbContextOptionsBuilder<CatalogContext>().UseNpgsql(db.DataSource).Options);

        protected override void OnModelCreating(ModelBuilder modelBuilder)
        {
            modelBuilder.Entity<Category>(e =>
            {
                e.ToTable("categories", "catalog");
                e.Property(c => c.Id).HasColumnName("id");
                e.Property(c => c.Slug).HasColumnName("slug");
                e.Property(c => c.Name).HasColumnName("name");
            });
            modelBuilder.MapOutbox("catalog");
        }
    }
}
