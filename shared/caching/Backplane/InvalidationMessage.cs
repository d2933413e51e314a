using System.Globalization;

namespace Platform.Caching;

/// <summary>What an invalidation does.</summary>
public enum InvalidationKind
{
    Remove,
    Expire,
    Tag,
}

/// <summary>
/// One invalidation as the backplane carries it: <c>seq|op|sender|epoch|unixMs|name</c> on the channel, the
/// same fields in the stream. The name goes last because keys and tags may contain '|'. The sender is the node id, or
/// <c>node;traceparent</c> when the invalidation was made inside a trace (the stream keeps the traceparent as <c>tp</c>).
/// </summary>
internal sealed record InvalidationMessage(long Seq, InvalidationKind Kind, string NodeId, string Epoch, long SentUnixMs, string Name)
{
    /// <summary>W3C traceparent of the span that made the invalidation, if any: the parent of the other nodes' apply spans.</summary>
    public string? TraceParent { get; init; }

    public static InvalidationKind KindOf(string op) => op switch
    {
        "r" => InvalidationKind.Remove,
        "x" => InvalidationKind.Expire,
        "t" => InvalidationKind.Tag,
        _ => throw new FormatException($"unknown invalidation op '{op}'"),
    };

    public static bool TryParse(string? text, out InvalidationMessage message)
    {
        message = null!;
        if (text is null)
        {
            return false;
        }

        var parts = text.Split('|', 6);
        if (parts.Length != 6
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || parts[1] is not ("r" or "x" or "t")
            || !long.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out var sent))
        {
            return false;
        }

        var sender = parts[2];
        var separator = sender.IndexOf(';', StringComparison.Ordinal);
        message = separator < 0
            ? new InvalidationMessage(seq, KindOf(parts[1]), sender, parts[3], sent, parts[5])
            : new InvalidationMessage(seq, KindOf(parts[1]), sender[..separator], parts[3], sent, parts[5]) { TraceParent = sender[(separator + 1)..] };
        return true;
    }
}
