namespace Platform.Hosting.Migrations;

/// <summary>What one <see cref="SqlMigrator.MigrateAsync"/> run did to a schema.</summary>
/// <param name="Schema">The migrated schema.</param>
/// <param name="Applied">Names of the scripts applied by this run, in order.</param>
/// <param name="AlreadyApplied">How many of the given scripts had been applied before (by this or another node).</param>
public sealed record MigrationResult(string Schema, IReadOnlyList<string> Applied, int AlreadyApplied);
