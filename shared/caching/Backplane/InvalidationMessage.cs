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
/// One invalidation as the backplane carries it: <c>seq|op|node|epoch|unixMs|name</c> on the channel, the
/// same fields in the stream. The name goes last because keys and tags may contain '|'.
/// </summary>
internal sealed record InvalidationMessage(long Seq, InvalidationKind Kind, string NodeId, string Epoch, long SentUnixMs, string Name)
{
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

        message = new InvalidationMessage(seq, KindOf(parts[1]), parts[2], parts[3], sent, parts[5]);
        return true;
    }
}
