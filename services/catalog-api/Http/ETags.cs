using Microsoft.Net.Http.Headers;
using Platform.Caching;

namespace Catalog.Api.Http;

/// <summary>
/// Item ETags come from the row version: <c>"v{version}"</c>, or <c>"v{version}-br"</c> / <c>"v{version}-gzip"</c> for the
/// compressed bytes of the same representation; If-Match compares the version, whichever coding the client read.
/// </summary>
public static class ETags
{
    public static string ForVersion(int version) => $"\"v{version}\"";

    /// <summary>
    /// True when an <c>If-Match</c> header names exactly <paramref name="version"/>. <c>*</c>, weak tags and lists do not
    /// match: a write must say which version it read, or it could overwrite a change it never saw.
    /// </summary>
    public static bool Matches(string ifMatch, int version) => TryParseVersion(ifMatch, out var named) && named == version;

    /// <summary>Reads the version an <c>If-Match</c> header names; false when the header is not one of our ETags.</summary>
    public static bool TryParseVersion(string? header, out int version)
    {
        version = 0;
        if (header is null || !EntityTagHeaderValue.TryParse(header.Trim(), out var tag) || tag.IsWeak)
        {
            return false;
        }

        var text = tag.Tag.Value;
        if (text is not null && (text.EndsWith(CachedPayload.BrotliSuffix + "\"", StringComparison.Ordinal) || text.EndsWith(CachedPayload.GzipSuffix + "\"", StringComparison.Ordinal)))
        {
            var suffix = text.EndsWith(CachedPayload.BrotliSuffix + "\"", StringComparison.Ordinal) ? CachedPayload.BrotliSuffix : CachedPayload.GzipSuffix;
            text = string.Concat(text.AsSpan(0, text.Length - suffix.Length - 1), "\"");
        }

        return text is not null && text.Length > 3 && text[1] == 'v'
            && int.TryParse(text.AsSpan(2, text.Length - 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out version);
    }
}
