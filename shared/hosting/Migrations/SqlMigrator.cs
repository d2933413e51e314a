using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.Hosting.Migrations;

/// <summary>
/// Applies versioned SQL scripts to one schema of a PostgreSQL database and records them in
/// <c>&lt;schema&gt;.schema_migrations</c> with a checksum.
/// </summary>
/// <remarks>
/// <para>
/// A run holds a session-level advisory lock (derived from the schema name) on one dedicated connection from start
/// to end, so nodes that start together take turns: the first applies, the others wait and then find everything applied.
/// </para>
/// <para>
/// An applied script whose text changed (ignoring line endings) stops the run before anything new is applied:
/// history is append-only, changes go into a new script. A recorded script missing from the given list is only logged.
/// </para>
/// <para>
/// Transactional scripts commit together with their history row, and a failure rolls both back. A script whose first
/// non-empty line is <c>-- migrate:no-transaction</c> runs on its own (PostgreSQL refuses <c>CREATE INDEX CONCURRENTLY</c>
/// in a transaction) and must be exactly one idempotent statement such as <c>CREATE INDEX CONCURRENTLY IF NOT EXISTS</c>:
/// a crash between the statement and its history row runs it again, and a failed concurrent build leaves an invalid
/// index that has to be dropped before the retry.
/// </para>
/// <para>
/// The migrator sends a script one statement at a time (it knows comments, quoted strings and identifiers and
/// <c>$$</c> bodies), so an error names the line of the script. Write function bodies in dollar quotes, not
/// <c>BEGIN ATOMIC … END</c>, whose inner semicolons it would take for statement ends.
/// </para>
/// <para>
/// Scripts run with <c>search_path</c> set to <c>&lt;schema&gt;, public</c>: the repository's scripts qualify names
/// (<c>catalog.products</c>), and the setting only makes sure a forgotten qualifier cannot land a table in <c>public</c>.
/// </para>
/// </remarks>
public sealed partial class SqlMigrator(NpgsqlDataSource dataSource, ILogger<SqlMigrator> logger)
{
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaName();

    /// <summary>Applies the scripts not yet recorded in <paramref name="schema"/>, in version order.</summary>
    /// <param name="schema">Lowercase identifier of the schema that owns the scripts; created when missing.</param>
    /// <param name="scripts">Every script of the schema, applied or not, in any order.</param>
    /// <param name="cancellationToken">Cancels the wait for the lock or the running script (which then rolls back).</param>
    /// <exception cref="ArgumentException">The schema name is not a lowercase identifier.</exception>
    /// <exception cref="MigrationException">A script is misnamed, was edited after it was applied, or failed.</exception>
    public async Task<MigrationResult> MigrateAsync(string schema, IReadOnlyList<MigrationScript> scripts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(scripts);
        if (!SchemaName().IsMatch(schema))
        {
            throw new ArgumentException($"schema '{schema}' is not a lowercase identifier ([a-z_][a-z0-9_]*, at most 63 characters)", nameof(schema));
        }

        if (new NpgsqlConnectionStringBuilder(dataSource.ConnectionString).Multiplexing)
        {
            // Multiplexing spreads commands over physical connections, and a session lock needs one session.
            throw new ArgumentException("the migrator needs a data source without Multiplexing", nameof(dataSource));
        }

        var ordered = MigrationPlan.Order(scripts.Select(script => (script, script?.Name ?? "(null)")));
        var total = Stopwatch.StartNew();
        var table = $"{Quote(schema)}.schema_migrations";
        var lockKey = LockKey(schema);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await AcquireLockAsync(connection, schema, lockKey, cancellationToken);
        try
        {
            await ExecuteAsync(
                connection,
                $"""
                DO $do$ BEGIN
                    -- Only when missing: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema
                    -- exists, and a service's role owns its schema without holding that (docs/security.md).
                    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '{schema.Replace("'", "''", StringComparison.Ordinal)}') THEN
                        CREATE SCHEMA {Quote(schema)};
                    END IF;
                END $do$;
                CREATE TABLE IF NOT EXISTS {table} (
                    version int PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    execution_ms int NOT NULL
                );
                SELECT set_config('search_path', '{Quote(schema)}, public', false);
                """,
                cancellationToken);

            var history = await ReadHistoryAsync(connection, table, cancellationToken);
            CheckHistory(schema, ordered, history);

            var applied = new List<string>();
            foreach (var script in ordered.Where(script => !history.ContainsKey(script.Version)))
            {
                await ApplyAsync(connection, schema, table, script, cancellationToken);
                applied.Add(script.Name);
            }

            logger.LogInformation(
                "Migrated schema {Schema}: {AppliedCount} applied, {AlreadyAppliedCount} already applied, in {ElapsedMs} ms",
                schema,
                applied.Count,
                ordered.Count - applied.Count,
                total.ElapsedMilliseconds);
            return new MigrationResult(schema, applied, ordered.Count - applied.Count);
        }
        finally
        {
            await ReleaseAsync(connection, schema, lockKey);
        }
    }

    private async Task AcquireLockAsync(NpgsqlConnection connection, string schema, long lockKey, CancellationToken cancellationToken)
    {
        await using var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_lock(@key)", connection);
        tryLock.Parameters.AddWithValue("key", lockKey);
        if (await tryLock.ExecuteScalarAsync(cancellationToken) is true)
        {
            return;
        }

        logger.LogInformation("Waiting for the migration lock of schema {Schema}: another node is migrating it", schema);
        var waited = Stopwatch.StartNew();
        await using var waitLock = new NpgsqlCommand("SELECT pg_advisory_lock(@key)", connection)
        {
            // Another node may be running a long migration; the caller's token bounds the wait, not a command timeout.
            CommandTimeout = 0,
        };
        waitLock.Parameters.AddWithValue("key", lockKey);
        await waitLock.ExecuteNonQueryAsync(cancellationToken);
        logger.LogInformation("Got the migration lock of schema {Schema} after {ElapsedMs} ms", schema, waited.ElapsedMilliseconds);
    }

    private async Task ReleaseAsync(NpgsqlConnection connection, string schema, long lockKey)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            // A broken connection has ended its session on the server, and the lock with it.
            return;
        }

        try
        {
            await using var unlock = new NpgsqlCommand("RESET search_path; SELECT pg_advisory_unlock(@key)", connection);
            unlock.Parameters.AddWithValue("key", lockKey);
            await unlock.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (NpgsqlException exception)
        {
            // Throwing here would hide the exception that got us here; closing the connection releases the lock anyway.
            logger.LogWarning(exception, "Could not release the migration lock of schema {Schema}; it goes with the connection", schema);
        }
    }

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadHistoryAsync(
        NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        var history = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand($"SELECT version, name, checksum FROM {table}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            history.Add(reader.GetInt32(0), (reader.GetString(1), reader.GetString(2)));
        }

        return history;
    }

    private void CheckHistory(string schema, IReadOnlyList<MigrationScript> scripts, Dictionary<int, (string Name, string Checksum)> history)
    {
        var known = new HashSet<int>();
        foreach (var script in scripts)
        {
            known.Add(script.Version);
            if (!history.TryGetValue(script.Version, out var applied))
            {
                continue;
            }

            var checksum = script.Checksum;
            if (!string.Equals(applied.Checksum, checksum, StringComparison.Ordinal))
            {
                throw new MigrationException(
                    script.Name,
                    $"migration {script.Name} in schema {schema} was edited after it was applied " +
                    $"(checksum {applied.Checksum[..Math.Min(12, applied.Checksum.Length)]}≠{checksum[..12]}); add a new migration instead");
            }

            if (!string.Equals(applied.Name, script.Name, StringComparison.Ordinal))
            {
                logger.LogWarning(
                    "Migration {Migration} in schema {Schema} was applied as {AppliedName}; same text, so only the file was renamed",
                    script.Name,
                    schema,
                    applied.Name);
            }
        }

        foreach (var (version, applied) in history.Where(entry => !known.Contains(entry.Key)).OrderBy(entry => entry.Key))
        {
            logger.LogWarning(
                "Migration {Migration} (version {Version}) is recorded in schema {Schema} but not among the scripts; leaving it be",
                applied.Name,
                version,
                schema);
        }
    }

    private async Task ApplyAsync(NpgsqlConnection connection, string schema, string table, MigrationScript script, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (script.Transactional)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var statementStart = 0;
            try
            {
                // One statement at a time, because PostgreSQL reports an error's position within the statement it
                // received and only then can the message point at a line of the script.
                foreach (var (start, length) in SqlText.Statements(script.Sql))
                {
                    statementStart = start;
                    await ExecuteAsync(connection, script.Sql.Substring(start, length), cancellationToken, transaction);
                }

                await RecordAsync(connection, table, script, watch.ElapsedMilliseconds, cancellationToken, transaction);
                await transaction.CommitAsync(cancellationToken);
            }
            catch (PostgresException exception)
            {
                // Leaving the using block rolls the transaction back: neither the script's changes nor its row stay.
                throw Failed(schema, script, exception, statementStart, transactional: true);
            }
        }
        else
        {
            var statements = SqlText.Statements(script.Sql);
            if (statements.Count != 1)
            {
                throw new MigrationException(
                    script.Name,
                    $"migration {script.Name} in schema {schema} runs without a transaction and must hold exactly one statement, " +
                    $"but holds {statements.Count}; split it into one script per statement");
            }

            // Only the statement itself is sent: anything after its semicolon, even a comment, would make a
            // multi-statement batch, which PostgreSQL runs in an implicit transaction.
            var (start, length) = statements[0];
            try
            {
                await ExecuteAsync(connection, script.Sql.Substring(start, length), cancellationToken);
            }
            catch (PostgresException exception)
            {
                throw Failed(schema, script, exception, start, transactional: false);
            }

            await RecordAsync(connection, table, script, watch.ElapsedMilliseconds, cancellationToken);
        }

        logger.LogInformation(
            "Applied migration {Migration} to schema {Schema} in {ElapsedMs} ms",
            script.Name,
            schema,
            watch.ElapsedMilliseconds);
    }

    private static async Task RecordAsync(
        NpgsqlConnection connection,
        string table,
        MigrationScript script,
        long elapsedMs,
        CancellationToken cancellationToken,
        NpgsqlTransaction? transaction = null)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO {table} (version, name, checksum, execution_ms) VALUES (@version, @name, @checksum, @ms)",
            connection,
            transaction);
        command.Parameters.AddWithValue("version", script.Version);
        command.Parameters.AddWithValue("name", script.Name);
        command.Parameters.AddWithValue("checksum", script.Checksum);
        command.Parameters.AddWithValue("ms", (int)Math.Min(elapsedMs, int.MaxValue));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken, NpgsqlTransaction? transaction = null)
    {
        // A migration may rightly take longer than the default 30 s; the caller's token is the limit.
        await using var command = new NpgsqlCommand(sql, connection, transaction) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static MigrationException Failed(string schema, MigrationScript script, PostgresException exception, int statementStart, bool transactional)
    {
        var message = new StringBuilder($"migration {script.Name} in schema {schema} failed: {exception.MessageText} (SQLSTATE {exception.SqlState}");
        if (exception.Position > 0)
        {
            message.Append($", line {SqlText.LineOf(script.Sql, statementStart + exception.Position - 1)}");
        }

        message.Append(')');
        if (exception.Detail is { Length: > 0 } detail)
        {
            message.Append($"; {detail}");
        }

        message.Append(transactional
            ? "; rolled back, nothing of it was kept"
            : "; it ran without a transaction, so whatever it did before failing stays");
        return new MigrationException(script.Name, message.ToString(), exception);
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // FNV-1a over the schema name: stable across processes, machines and PostgreSQL versions (hashtext is not promised to be).
    private static long LockKey(string schema)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes("platform.migrations:" + schema))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
