using Microsoft.Extensions.Primitives;

namespace Catalog.Api.Http;

/// <summary>The content codings a cached read is served in.</summary>
public enum ContentCoding
{
    Identity,
    Gzip,
    Brotli,
}

/// <summary>Picks the coding of a response from <c>Accept-Encoding</c> (RFC 9110 12.5.3), without allocating.</summary>
public static class ContentCodings
{
    /// <summary>
    /// Brotli when the client accepts it (smaller than gzip at the same cost, and every browser sends it), else gzip,
    /// else identity; a coding with <c>q=0</c> is refused, <c>*</c> stands for the codings not named. A higher q wins.
    /// </summary>
    public static ContentCoding Negotiate(StringValues acceptEncoding)
    {
        if (acceptEncoding.Count == 0)
        {
            return ContentCoding.Identity;
        }

        double br = -1, gzip = -1, any = -1;
        foreach (var value in acceptEncoding)
        {
            var rest = value.AsSpan();
            while (!rest.IsEmpty)
            {
                var comma = rest.IndexOf(',');
                var item = (comma < 0 ? rest : rest[..comma]).Trim();
                rest = comma < 0 ? [] : rest[(comma + 1)..];
                var semicolon = item.IndexOf(';');
                var name = (semicolon < 0 ? item : item[..semicolon]).Trim();
                var q = semicolon < 0 ? 1.0 : Quality(item[(semicolon + 1)..]);
                if (name.Equals("br", StringComparison.OrdinalIgnoreCase))
                {
                    br = Math.Max(br, q);
                }
                else if (name.Equals("gzip", StringComparison.OrdinalIgnoreCase) || name.Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = Math.Max(gzip, q);
                }
                else if (name.SequenceEqual("*"))
                {
                    any = Math.Max(any, q);
                }
            }
        }

        br = br < 0 ? any : br;
        gzip = gzip < 0 ? any : gzip;
        if (br > 0 && br >= gzip)
        {
            return ContentCoding.Brotli;
        }

        return gzip > 0 ? ContentCoding.Gzip : ContentCoding.Identity;
    }

    // "q=0.5" among the parameters; a malformed weight counts as 0 (not acceptable) rather than guessing.
    private static double Quality(ReadOnlySpan<char> parameters)
    {
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            if (parameter.Length > 2 && (parameter[0] is 'q' or 'Q') && parameter[1] == '=')
            {
                return double.TryParse(parameter[2..], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var q) && q is >= 0 and <= 1 ? q : 0;
            }
        }

        return 1;
    }
}
