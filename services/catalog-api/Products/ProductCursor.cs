using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Catalog.Api.Products;

/// <summary>
/// Keyset position: the sort value and id of the last row of a page, as opaque base64url text
/// (<c>v1|sort|value|id</c>). A cursor is only valid with the sort it was made for.
/// </summary>
public sealed record ProductCursor(ProductSort Sort, string Value, long Id)
{
    public string Encode() =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|{ProductSorts.Name(Sort)}|{Value}|{Id.ToString(CultureInfo.InvariantCulture)}"));

    public static ProductCursor ForRow(ProductSort sort, ProductDto last) => new(sort, sort switch
    {
        ProductSort.Recent => last.CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture),
        ProductSort.Name => last.Name,
        _ => last.Price.ToString(CultureInfo.InvariantCulture),
    }, last.Id);

    /// <summary>Decodes and checks a cursor; <paramref name="error"/> says why it is unusable.</summary>
    public static bool TryDecode(string text, ProductSort expected, out ProductCursor cursor, out string error)
    {
        cursor = null!;
        error = "is not a cursor returned by this API";
        if (text.Length > 1024)
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(text));
        }
        catch (FormatException)
        {
            return false;
        }

        var first = decoded.IndexOf('|', StringComparison.Ordinal);
        var second = first < 0 ? -1 : decoded.IndexOf('|', first + 1);
        var last = decoded.LastIndexOf('|');
        if (first < 0 || second < 0 || last <= second || decoded[..first] != "v1"
            || !ProductSorts.TryParse(decoded[(first + 1)..second], out var sort)
            || !long.TryParse(decoded[(last + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return false;
        }

        var value = decoded[(second + 1)..last];
        var valueOk = sort switch
        {
            ProductSort.Recent => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks,
            // Names never hold control characters; a cursor whose name does (NUL above all: PostgreSQL refuses it) was forged.
            ProductSort.Name => value.Length <= 200 && !value.Any(char.IsControl),
            _ => decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
        };
        if (!valueOk)
        {
            return false;
        }

        if (sort != expected)
        {
            error = $"belongs to sort '{ProductSorts.Name(sort)}', not '{ProductSorts.Name(expected)}'";
            return false;
        }

        // Canonical value, so every spelling of one position (0.5, 0.50, 00.5; leading zeros of ticks) is one cache key.
        cursor = new ProductCursor(sort, sort switch
        {
            ProductSort.Recent => long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
            ProductSort.Name => value,
            _ => decimal.Parse(value, NumberStyles.Number, CultureInfo.InvariantCulture).ToString("0.############################", CultureInfo.InvariantCulture),
        }, id);
        return true;
    }
}
