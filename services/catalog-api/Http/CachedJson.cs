using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Platform.Caching;

namespace Catalog.Api.Http;

/// <summary>
/// Cached reads as ready UTF-8 JSON plus ETag: a cache hit writes the stored bytes, and a request whose
/// <c>If-None-Match</c> matches gets 304 with no body.
/// </summary>
/// <remarks>
/// Compressed here, once per entry and coding (<see cref="CachedPayload.Brotli"/>), not by the response compression
/// middleware, which compressed every hit again (a brotli hit cost about five times the hit itself). Each coding has its
/// own ETag and every answer says <c>Vary: Accept-Encoding</c>, so shared caches and 304s never mix codings.
/// </remarks>
public sealed class CachedJson(ITwoLevelCache cache, IOptions<CatalogOptions> options)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly CatalogOptions _options = options.Value;

    private readonly string _cacheControl = options.Value.ClientMaxAgeSeconds > 0 ? $"public, max-age={options.Value.ClientMaxAgeSeconds}" : "no-cache";

    // One instance for every read: the options never vary per request, and hits must not allocate.
    private readonly CacheEntryOptions _entryOptions = new() { Duration = options.Value.CacheDuration };

    // Negative results: a short life and no fail-safe extension (a stale "not found" is worth nothing).
    private readonly CacheEntryOptions _negativeOptions = new() { Duration = options.Value.NegativeCacheDuration, FailSafeMaxDuration = null };

    /// <summary>Entry options of every cached catalog read.</summary>
    public CacheEntryOptions EntryOptions => _entryOptions;

    /// <summary>Entry options of a negative result (<see cref="CatalogOptions.NegativeCacheDuration"/>, no fail-safe).</summary>
    public CacheEntryOptions NegativeEntryOptions => _negativeOptions;

    /// <summary>
    /// Gets the payload from the cache (or builds it with <paramref name="load"/>, once per key per node). Null from
    /// <paramref name="load"/> means "no such row": cached as such for <see cref="CatalogOptions.NegativeCacheDuration"/>.
    /// </summary>
    public async ValueTask<CachedPayload?> GetAsync<TState>(string key, string[] tags, TState state, Func<TState, CancellationToken, Task<CachedPayload?>> load, CancellationToken cancellationToken)
    {
        var payload = await GetAsync(key, tags, (state, load), static async (s, ct) => await s.load(s.state, ct) is { } found ? (found, false) : (Missing, true), cancellationToken);
        return IsMissing(payload) ? null : payload;
    }

    /// <summary>
    /// Gets the payload from the cache (or builds it with <paramref name="load"/>); a result <paramref name="load"/>
    /// calls negative (an empty page or window) is cached for <see cref="CatalogOptions.NegativeCacheDuration"/> only.
    /// </summary>
    public async ValueTask<CachedPayload> GetAsync<TState>(
        string key, string[] tags, TState state, Func<TState, CancellationToken, Task<(CachedPayload Payload, bool Negative)>> load, CancellationToken cancellationToken)
    {
        if (!_options.CacheEnabled)
        {
            return (await load(state, cancellationToken)).Payload;
        }

        return await cache.GetOrSetAsync(key, (state, load, negative: _negativeOptions), static async (s, context, ct) =>
        {
            var (payload, negative) = await s.load(s.state, ct);
            if (negative)
            {
                context.Options = s.negative;
            }

            return payload;
        }, _entryOptions, tags, cancellationToken);
    }

    /// <summary>Serializes <paramref name="value"/>; the ETag is a hash of the bytes (lists) unless given (items: their version).</summary>
    public static CachedPayload Build<T>(T value, string? etag = null)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(value, Json);
        return new CachedPayload(bytes, etag ?? $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes), 0, 10)}\"");
    }

    public IResult Write(HttpContext context, CachedPayload payload)
    {
        var headers = context.Response.Headers;
        var coding = ContentCodings.Negotiate(context.Request.Headers.AcceptEncoding);
        var etag = coding switch
        {
            ContentCoding.Brotli => payload.BrotliETag,
            ContentCoding.Gzip => payload.GzipETag,
            _ => payload.ETag,
        };
        headers.ETag = etag;
        headers.Vary = HeaderNames.AcceptEncoding;
        headers.CacheControl = _cacheControl;
        if (IfNoneMatchMatches(context.Request, etag))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        switch (coding)
        {
            case ContentCoding.Brotli:
                headers.ContentEncoding = "br";
                return TypedResults.Bytes(payload.Brotli, "application/json");
            case ContentCoding.Gzip:
                headers.ContentEncoding = "gzip";
                return TypedResults.Bytes(payload.Gzip, "application/json");
            default:
                return TypedResults.Bytes(payload.Utf8Json, "application/json");
        }
    }

    private static bool IfNoneMatchMatches(HttpRequest request, string etag)
    {
        var header = request.Headers.IfNoneMatch;
        if (header.Count == 0)
        {
            return false;
        }

        foreach (var value in header)
        {
            if (value is null)
            {
                continue;
            }

            if (value.Trim() == "*")
            {
                return true;
            }

            // Weak comparison (RFC 9110 13.1.2): W/"x" matches "x".
            if (EntityTagHeaderValue.TryParseList([value], out var tags) && tags.Any(t => t.Tag.Equals(etag, StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return false;
    }

    // Stands for "no such row" in the cache (a short negative entry: floods of 404s do not reach the database).
    // It comes back from L2 as a new instance, so it is recognised by content.
    private static readonly CachedPayload Missing = new([], MissingTag);

    private const string MissingTag = "\"missing\"";

    private static bool IsMissing(CachedPayload payload) => payload.Utf8Json.Length == 0 && payload.ETag == MissingTag;
}
