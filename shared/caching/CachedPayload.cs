using System.IO.Compression;

namespace Platform.Caching;

/// <summary>
/// A ready HTTP payload: UTF-8 JSON bytes plus their ETag. Cached as is, so an L1 hit hands the same instance
/// back with no serialization and no allocation; L2 stores the bytes raw.
/// </summary>
/// <remarks>
/// Its compressed forms are made on first use and kept with the instance, so with its L1 entry: a node compresses an
/// entry once per content coding, not once per request. They are never written to L2 (an L2 hit makes a new instance,
/// which compresses again on its first use). Two requests racing on a first use both compress and one result is kept;
/// the bytes are equal.
/// </remarks>
public sealed class CachedPayload(byte[] utf8Json, string etag)
{
    // The level ASP.NET Core's response compression used for these payloads before they were compressed once: the
    // same bytes as before, made once per entry instead of per request.
    private const CompressionLevel Level = CompressionLevel.Fastest;

    private byte[]? _brotli;
    private byte[]? _gzip;
    private string? _brotliETag;
    private string? _gzipETag;

    public byte[] Utf8Json { get; } = utf8Json;

    /// <summary>Strong ETag, quoted (e.g. <c>"v42"</c>).</summary>
    public string ETag { get; } = etag;

    /// <summary><see cref="Utf8Json"/> in brotli (the <c>br</c> content coding).</summary>
    public byte[] Brotli => _brotli ??= Compress(Utf8Json, static s => new BrotliStream(s, Level, leaveOpen: true));

    /// <summary><see cref="Utf8Json"/> in gzip.</summary>
    public byte[] Gzip => _gzip ??= Compress(Utf8Json, static s => new GZipStream(s, Level, leaveOpen: true));

    /// <summary>
    /// The ETag of the brotli bytes: <see cref="ETag"/> with <c>-br</c> inside the quotes. Each coding's bytes have
    /// their own strong ETag, so a 304 never confirms bytes of another coding than the client holds.
    /// </summary>
    public string BrotliETag => _brotliETag ??= Suffixed(ETag, BrotliSuffix);

    /// <summary>The ETag of the gzip bytes: <see cref="ETag"/> with <c>-gzip</c> inside the quotes.</summary>
    public string GzipETag => _gzipETag ??= Suffixed(ETag, GzipSuffix);

    /// <summary>
    /// A header value its reader derives from the bytes (a list's <c>Link</c>), kept with the instance so a hit does not
    /// derive it again; "" when there is none. Not stored in L2: an L2 hit derives it again on its first use.
    /// </summary>
    public string? Link { get; set; }

    /// <summary>What <see cref="BrotliETag"/> adds to <see cref="ETag"/>.</summary>
    public const string BrotliSuffix = "-br";

    /// <summary>What <see cref="GzipETag"/> adds to <see cref="ETag"/>.</summary>
    public const string GzipSuffix = "-gzip";

    private static string Suffixed(string etag, string suffix) =>
        etag.Length >= 2 && etag[^1] == '"' ? string.Concat(etag.AsSpan(0, etag.Length - 1), suffix, "\"") : etag + suffix;

    private static byte[] Compress(byte[] bytes, Func<Stream, Stream> open)
    {
        using var output = new MemoryStream(bytes.Length / 4 + 64);
        using (var compressor = open(output))
        {
            compressor.Write(bytes);
        }

        return output.ToArray();
    }
}
