using System.Security.Cryptography;
using System.Text;

namespace Platform.Hosting.Migrations;

/// <summary>
/// One versioned SQL migration of a schema. <see cref="MigrationSource"/> builds these from files named
/// <c>0001_create_products.sql</c>; a script whose first non-empty line is <c>-- migrate:no-transaction</c>
/// has <see cref="Transactional"/> false.
/// </summary>
/// <param name="Version">Order of application and primary key of the history table; the digits the name starts with.</param>
/// <param name="Name">File name without <c>.sql</c>, e.g. <c>0001_create_products</c>.</param>
/// <param name="Sql">Script text.</param>
/// <param name="Transactional">
/// True: the script and its history row commit together. False: it runs outside a transaction (for
/// <c>CREATE INDEX CONCURRENTLY</c>) and must be one idempotent statement, because a crash between the
/// statement and its history row makes the next run execute it again. Must agree with the marker line, which
/// is the one place a reader of the file sees it; the migrator refuses a script where the two disagree.
/// </param>
public sealed record MigrationScript(int Version, string Name, string Sql, bool Transactional)
{
    /// <summary>
    /// SHA-256 (lowercase hex) of <see cref="Sql"/> with line endings normalised to <c>\n</c>, so a checkout
    /// with CRLF line endings does not look like an edited script.
    /// </summary>
    // Computed on each read rather than stored: a stored value would be copied stale by `with { Sql = … }`.
    public string Checksum => ComputeChecksum(Sql);

    internal static string ComputeChecksum(string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        var normalised = sql.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }
}
