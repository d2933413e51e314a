namespace Platform.Hosting.Metrics;

/// <summary>
/// The tags of one measurement as the listener hands them over, so an existing series is found without
/// copying them (recording into it then allocates nothing).
/// </summary>
internal readonly ref struct MeasurementTags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; } = tags;
}

/// <summary>One distinct tag set of an instrument: tags sorted by key, duplicate keys removed, labels pre-rendered.</summary>
internal sealed class SeriesKey
{
    private readonly KeyValuePair<string, object?>[] _tags;

    private SeriesKey(KeyValuePair<string, object?>[] tags)
    {
        _tags = tags;
        Hash = HashOf(tags);
        Labels = PrometheusNaming.RenderLabels(tags);
    }

    public int Hash { get; }

    /// <summary>Sanitised, escaped and sorted <c>name="value"</c> pairs joined by commas; empty without tags.</summary>
    public string Labels { get; }

    public static SeriesKey Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Stable sort, then keep the last of equal keys: the tag added last is the one the caller meant.
        var sorted = tags.ToArray()
            .Select((tag, index) => (tag, index))
            .OrderBy(t => t.tag.Key, StringComparer.Ordinal)
            .ThenBy(t => t.index)
            .Select(t => t.tag)
            .ToList();
        for (var i = sorted.Count - 2; i >= 0; i--)
        {
            if (string.Equals(sorted[i].Key, sorted[i + 1].Key, StringComparison.Ordinal))
            {
                sorted.RemoveAt(i);
            }
        }

        return new SeriesKey([.. sorted]);
    }

    // Order-independent, so the caller's tag order cannot split a series.
    public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var hash = 0;
        foreach (ref readonly var tag in tags)
        {
            hash = unchecked(hash + HashCode.Combine(tag.Key, tag.Value));
        }

        return hash;
    }

    /// <summary>True when <paramref name="tags"/>, in any order, is exactly this tag set.</summary>
    public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Equal lengths plus every one of our distinct keys found leaves no room for a duplicate key in tags.
        if (tags.Length != _tags.Length)
        {
            return false;
        }

        foreach (ref readonly var own in _tags.AsSpan())
        {
            if (!Contains(tags, own))
            {
                return false;
            }
        }

        return true;
    }

    public bool Matches(SeriesKey other) => Hash == other.Hash && Matches(other._tags);

    private static bool Contains(ReadOnlySpan<KeyValuePair<string, object?>> tags, in KeyValuePair<string, object?> wanted)
    {
        foreach (ref readonly var tag in tags)
        {
            if (string.Equals(tag.Key, wanted.Key, StringComparison.Ordinal))
            {
                return Equals(tag.Value, wanted.Value);
            }
        }

        return false;
    }

    public override string ToString() => Labels;
}

/// <summary>Lets the series dictionary be probed with the measurement's tag span instead of a new key.</summary>
internal sealed class SeriesKeyComparer : IEqualityComparer<SeriesKey>, IAlternateEqualityComparer<MeasurementTags, SeriesKey>
{
    public static readonly SeriesKeyComparer Instance = new();

    public bool Equals(SeriesKey? x, SeriesKey? y) => ReferenceEquals(x, y) || (x is not null && y is not null && x.Matches(y));

    public int GetHashCode(SeriesKey obj) => obj.Hash;

    public bool Equals(MeasurementTags alternate, SeriesKey other) => other.Matches(alternate.Tags);

    public int GetHashCode(MeasurementTags alternate) => SeriesKey.HashOf(alternate.Tags);

    public SeriesKey Create(MeasurementTags alternate) => SeriesKey.Create(alternate.Tags);
}
