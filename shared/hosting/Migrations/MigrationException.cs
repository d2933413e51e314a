namespace Platform.Hosting.Migrations;

/// <summary>
/// A migration cannot be loaded or applied. The message names the script (file, resource or migration name)
/// and the reason; a failure inside PostgreSQL keeps the <see cref="Npgsql.PostgresException"/> as inner exception.
/// </summary>
public sealed class MigrationException : Exception
{
    /// <summary>Creates an exception without a message.</summary>
    public MigrationException()
    {
    }

    /// <summary>Creates an exception with a message that names the script and the reason.</summary>
    public MigrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message that names the script and the reason, and its cause.</summary>
    public MigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal MigrationException(string script, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Script = script;
    }

    /// <summary>The migration name, file or resource at fault, when there is one.</summary>
    public string? Script { get; }
}
