using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Platform.DeadLetters.Monitoring;
using Platform.DeadLetters.Storage;
using Platform.Testing;

namespace Platform.DeadLetters.Tests.Storage;

/// <summary>Retention deletes what was replayed or purged long ago, and nothing ops still have to look at.</summary>
public sealed class DeadLetterRetentionTests
{
    [Fact]
    public async Task OldReplayedAndPurgedRowsAreDeletedStoredOnesAndRecentOnesStay()
    {
        await using var database = await TestDatabase.CreateMigratedAsync();
        await using (var insert = database.DataSource.CreateCommand("""
            INSERT INTO invalidator.dead_letters
                (source_queue, original_queue, message_id, body, fingerprint, status, first_failed_at, last_failed_at, stored_at,
                 last_replayed_at, purged_at)
            SELECT 'q_error', 'q', 'm-' || n, '\x00'::bytea, 'f', s.status, now() - s.age, now() - s.age, now() - s.age,
                   CASE WHEN s.status = 'replayed' THEN now() - s.age END, CASE WHEN s.status = 'purged' THEN now() - s.age END
            FROM (VALUES (1, 'replayed', interval '40 days'), (2, 'purged', interval '31 days'), (3, 'stored', interval '400 days'),
                         (4, 'replayed', interval '2 days'), (5, 'purged', interval '29 days')) AS s(n, status, age)
            """))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // Retention keeps the audit trail even of deleted rows.
        await using (var history = database.DataSource.CreateCommand(
            "INSERT INTO invalidator.dead_letter_history (actor, origin, action, selection, selected, dead_letter_ids) VALUES ('ops', 'cli', 'replay', '{}', 1, '{1}')"))
        {
            await history.ExecuteNonQueryAsync();
        }

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var retention = new DeadLetterRetention(database.DataSource, new DeadLetterMetrics(services.GetRequiredService<IMeterFactory>(), TimeProvider.System),
            Options.Create(new DeadLetterOptions { RetentionDays = 30 }), TimeProvider.System, NullLogger<DeadLetterRetention>.Instance);

        Assert.Equal(2, await retention.RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await retention.RunOnceAsync(CancellationToken.None));

        await using var left = database.DataSource.CreateCommand("SELECT array_agg(message_id ORDER BY message_id) FROM invalidator.dead_letters");
        Assert.Equal(["m-3", "m-4", "m-5"], (string[])(await left.ExecuteScalarAsync())!);
        await using var audit = database.DataSource.CreateCommand("SELECT count(*) FROM invalidator.dead_letter_history");
        Assert.Equal(1L, await audit.ExecuteScalarAsync());
    }
}
