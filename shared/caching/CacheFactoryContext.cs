namespace Platform.Caching;

/// <summary>What a factory may know and change about the entry it produces.</summary>
public sealed class CacheFactoryContext
{
    internal CacheFactoryContext(string key, CacheEntryOptions options, object? staleValue, bool hasStaleValue)
    {
        Key = key;
        Options = options;
        StaleValue = staleValue;
        HasStaleValue = hasStaleValue;
    }

    public string Key { get; }

    /// <summary>The entry's options; a factory may replace them (e.g. a shorter duration for an empty list).</summary>
    public CacheEntryOptions Options { get; set; }

    /// <summary>The previous value, expired but still within the fail-safe window, if any.</summary>
    public object? StaleValue { get; }

    public bool HasStaleValue { get; }
}
