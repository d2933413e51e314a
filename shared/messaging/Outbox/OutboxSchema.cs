using System.Text;
using System.Text.RegularExpressions;

namespace Platform.Messaging.Outbox;

/// <summary>Names derived from a service schema: table, NOTIFY channel, advisory lock key.</summary>
internal static partial class OutboxSchema
{
    [GeneratedRegex("^[a-z_][a-z0-9_]{0,54}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    /// <summary>Throws unless <paramref name="schema"/> is a lowercase identifier short enough for <c>&lt;schema&gt;_outbox</c>.</summary>
    public static string Validate(string schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!Identifier().IsMatch(schema))
        {
            throw new ArgumentException($"schema '{schema}' is not a lowercase identifier ([a-z_][a-z0-9_]*, at most 55 characters)", nameof(schema));
        }

        return schema;
    }

    /// <summary>The channel the table's trigger NOTIFYs: <c>&lt;schema&gt;_outbox</c>.</summary>
    public static string Channel(string schema) => schema + "_outbox";

    // FNV-1a over a prefixed name: stable across processes and PostgreSQL versions (hashtext is not promised to be),
    // and distinct from the migrator's lock on the same schema.
    public static long LockKey(string schema)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes("platform.outbox-relay:" + schema))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
