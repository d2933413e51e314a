using System.Text.Json;

namespace Platform.Caching;

/// <summary>Turns values into L2 bytes and back. <see cref="CachedPayload"/> never goes through it: its bytes are stored as they are.</summary>
public interface ICacheSerializer
{
    byte[] Serialize<T>(T value);

    T Deserialize<T>(byte[] bytes);
}

/// <summary>System.Text.Json with web defaults (camelCase), the same shape the APIs return.</summary>
public sealed class JsonCacheSerializer(JsonSerializerOptions? options = null) : ICacheSerializer
{
    private readonly JsonSerializerOptions _options = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);

    public byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, _options);

    public T Deserialize<T>(byte[] bytes) => JsonSerializer.Deserialize<T>(bytes, _options)!;
}
