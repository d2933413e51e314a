namespace Platform.Caching;

/// <summary>
/// A ready HTTP payload: UTF-8 JSON bytes plus their ETag. Cached as is, so an L1 hit hands the same instance
/// back with no serialization and no allocation; L2 stores the bytes raw.
/// </summary>
public sealed class CachedPayload(byte[] utf8Json, string etag)
{
    public byte[] Utf8Json { get; } = utf8Json;

    /// <summary>Strong ETag, quoted (e.g. <c>"v42"</c>).</summary>
    public string ETag { get; } = etag;
}
