using Npgsql;
using Platform.Messaging.Migrations;
using Platform.Testing;
using InboxStore = Platform.Messaging.Inbox.Inbox;

namespace Platform.Messaging.Tests.Inbox;

public sealed class InboxTests
{
    private const string Schema = "consumer_svc";

    // The DDL a consuming service puts in its migrations (also in docs/adr/005-outbox-relay.md).
    private static readonly MigrationScript CreateInbox = new(
        1,
        "0001_create_inbox",
        """
        CREATE TABLE consumer_svc.inbox (
            consumer     text        NOT NULL,
            message_id   uuid        NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, message_id)
        );
        CREATE INDEX inbox_processed_at_idx ON consumer_svc.inbox (processed_at);
        CREATE TABLE consumer_svc.effects (message_id uuid NOT NULL);
        """,
        Transactional: true);

    [Fact]
    public async Task FirstDeliveryBeginsAndADuplicateIsRefused()
    {
        await using var db = await MigratedAsync();
        var inbox = new InboxStore(Schema);
        var messageId = Guid.CreateVersion7();

        Assert.True(await ProcessAsync(db, inbox, "invalidator", messageId, commit: true));
        Assert.False(await ProcessAsync(db, inbox, "invalidator", messageId, commit: true));

        Assert.Equal(1L, await CountAsync(db, "effects"));
    }

    [Fact]
    public async Task TheSameMessageIsNewForAnotherConsumer()
    {
        await using var db = await MigratedAsync();
        var inbox = new InboxStore(Schema);
        var messageId = Guid.CreateVersion7();

        Assert.True(await ProcessAsync(db, inbox, "invalidator", messageId, commit: true));
        Assert.True(await ProcessAsync(db, inbox, "aggregator", messageId, commit: true));
    }

    [Fact]
    public async Task ARolledBackEffectLeavesTheMessageNew()
    {
        await using var db = await MigratedAsync();
        var inbox = new InboxStore(Schema);
        var messageId = Guid.CreateVersion7();

        Assert.True(await ProcessAsync(db, inbox, "invalidator", messageId, commit: false));
        Assert.True(await ProcessAsync(db, inbox, "invalidator", messageId, commit: true));

        Assert.Equal(1L, await CountAsync(db, "effects"));
    }

    [Fact]
    public async Task ConcurrentDuplicatesApplyTheEffectOnce()
    {
        await using var db = await MigratedAsync();
        var inbox = new InboxStore(Schema);
        var messageId = Guid.CreateVersion7();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => ProcessAsync(db, inbox, "invalidator", messageId, commit: true)));

        Assert.Single(outcomes, began => began);
        Assert.Equal(1L, await CountAsync(db, "effects"));
    }

    [Fact]
    public async Task CleanupDeletesOnlyRecordsOlderThanTheRetentionInBatches()
    {
        await using var db = await MigratedAsync();
        var inbox = new InboxStore(Schema);
        await using (var seed = db.DataSource.CreateCommand(
            """
            INSERT INTO consumer_svc.inbox (consumer, message_id, processed_at)
            SELECT 'invalidator', gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 7);
            INSERT INTO consumer_svc.inbox (consumer, message_id, processed_at)
            SELECT 'invalidator', gen_random_uuid(), now() - interval '1 day' FROM generate_series(1, 3);
            """))
        {
            await seed.ExecuteNonQueryAsync();
        }

        var deleted = await inbox.CleanupAsync(db.DataSource, TimeSpan.FromDays(7), batchSize: 2);

        Assert.Equal(7, deleted);
        Assert.Equal(3L, await CountAsync(db, "inbox"));
        Assert.Equal(0L, await inbox.CleanupAsync(db.DataSource, TimeSpan.FromDays(7), batchSize: 2));
    }

    private static async Task<TestDatabase> MigratedAsync()
    {
        var db = await TestDatabase.CreateEmptyAsync();
        await new SqlMigrator(db.DataSource, Microsoft.Extensions.Logging.Abstractions.NullLogger<SqlMigrator>.Instance).MigrateAsync(Schema, [CreateInbox]);
        return db;
    }

    /// <summary>A consumer's unit of work: record the message, apply the effect only the first time, commit or roll back.</summary>
    private static async Task<bool> ProcessAsync(TestDatabase db, InboxStore inbox, string consumer, Guid messageId, bool commit)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var first = await inbox.TryBeginAsync(connection, transaction, consumer, messageId);
        if (first)
        {
            await using var effect = new NpgsqlCommand("INSERT INTO consumer_svc.effects (message_id) VALUES (@id)", connection, transaction);
            effect.Parameters.AddWithValue("id", messageId);
            await effect.ExecuteNonQueryAsync();
        }

        if (commit)
        {
            await transaction.CommitAsync();
        }
        else
        {
            await transaction.RollbackAsync();
        }

        return first;
    }

    private static async Task<long> CountAsync(TestDatabase db, string table)
    {
        await using var command = db.DataSource.CreateCommand($"SELECT count(*) FROM consumer_svc.{table}");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
