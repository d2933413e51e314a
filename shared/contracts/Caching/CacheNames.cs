using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Contracts.Caching;

/// <summary>
/// The one place where cache keys and tags are named. Writers (the catalog's cached reads) and invalidators (the
/// event rules, <see cref="CacheInvalidationRequested"/> senders) both build names here, so a key can never be spelled
/// two ways. Keys name one entry; tags name a group of entries that is invalidated at once.
/// </summary>
/// <remarks>
/// Every name is printable ASCII without spaces and at most <see cref="MaxLength"/> characters
/// (<see cref="IsValidKey"/>, <see cref="IsValidTag"/>). Free-form parts (a sort name, a paging cursor) are kept as
/// they are when short and plain, and replaced by a hash otherwise, so names stay deterministic and bounded.
/// Renaming a key or tag is a breaking change: caches written under the old name would no longer be invalidated.
/// </remarks>
public static class CacheNames
{
    /// <summary>Longest valid key or tag.</summary>
    public const int MaxLength = 200;

    // Longer free-form parts are hashed: keeps the longest list key far below MaxLength.
    private const int MaxPlainSegment = 48;

    /// <summary>Key of one product's detail: <c>catalog:product:{id}</c>.</summary>
    public static string Product(long id) => $"catalog:product:{Number(id)}";

    /// <summary>
    /// Key of one page of a product list: <c>catalog:products:{categoryId|all}:{sort}:{limit}:{cursor|first}</c>.
    /// <paramref name="sort"/> and <paramref name="cursor"/> longer than 48 characters or with characters outside
    /// <c>[A-Za-z0-9._~=-]</c> are replaced by <c>h</c> + 32 hex digits of their SHA-256.
    /// </summary>
    public static string ProductListPage(long? categoryId, string sort, int limit, string? cursor)
    {
        ArgumentNullException.ThrowIfNull(sort);
        var category = categoryId is { } id ? Number(id) : "all";
        var page = string.IsNullOrEmpty(cursor) ? "first" : Segment(cursor);
        return $"catalog:products:{category}:{Segment(sort)}:{Number(limit)}:{page}";
    }

    /// <summary>Key of the category list: <c>catalog:categories</c>.</summary>
    public const string CategoryList = "catalog:categories";

    /// <summary>Key of a popular-products list: <c>catalog:popular:{categoryId|all}:{days}d:{limit}</c>.</summary>
    public static string PopularProducts(long? categoryId, int days, int limit) =>
        $"catalog:popular:{(categoryId is { } id ? Number(id) : "all")}:{Number(days)}d:{Number(limit)}";

    /// <summary>Key of a category's daily statistics between two days (inclusive): <c>analytics:category-daily:{id}:{from}:{to}</c>, days as <c>yyyy-MM-dd</c>.</summary>
    public static string CategoryDaily(long categoryId, DateOnly from, DateOnly to) =>
        $"analytics:category-daily:{Number(categoryId)}:{Day(from)}:{Day(to)}";

    /// <summary>Tag of every entry that shows product <paramref name="id"/>: <c>product:{id}</c>.</summary>
    public static string ProductTag(long id) => $"product:{Number(id)}";

    /// <summary>Tag of every entry that lists or shows category <paramref name="id"/>: <c>category:{id}</c>.</summary>
    public static string CategoryTag(long id) => $"category:{Number(id)}";

    /// <summary>Tag of every product list page (a new product can land on any of them): <c>product-lists</c>.</summary>
    public const string AllProductLists = "product-lists";

    /// <summary>
    /// Tag of the product list pages that span every category (<c>GET /api/products</c> without a category):
    /// <c>product-lists:all-categories</c>. A change in any category invalidates them, and only them besides that
    /// category's own pages.
    /// </summary>
    public const string AllCategoriesProductLists = "product-lists:all-categories";

    /// <summary>Tag of the popular-products lists that span every category: <c>analytics:all-categories</c>.</summary>
    public const string AllCategoriesAnalytics = "analytics:all-categories";

    /// <summary>Tag of every entry built from the category table: <c>categories</c>.</summary>
    public const string Categories = "categories";

    /// <summary>Tag of every analytics entry of category <paramref name="id"/>: <c>analytics:category:{id}</c>.</summary>
    public static string AnalyticsCategory(long id) => $"analytics:category:{Number(id)}";

    /// <summary>Tag of every analytics entry: <c>analytics</c>.</summary>
    public const string AllAnalytics = "analytics";

    /// <summary>The kind of entry <see cref="KindOf"/> names for a product's detail.</summary>
    public const string ProductKind = "product";

    /// <summary>The kind of a product list page.</summary>
    public const string ProductListKind = "product-list";

    /// <summary>The kind of the category list.</summary>
    public const string CategoriesKind = "categories";

    /// <summary>The kind of an analytics list (popular products, category statistics).</summary>
    public const string AnalyticsKind = "analytics";

    /// <summary>Any other key.</summary>
    public const string OtherKind = "other";

    /// <summary>
    /// The kind of entry <paramref name="key"/> names — <c>product</c>, <c>product-list</c>, <c>categories</c>,
    /// <c>analytics</c> or <c>other</c> — the <c>kind</c> label of the cache's hit and miss counters (a hit ratio per kind).
    /// </summary>
    public static string KindOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.StartsWith("catalog:product:", StringComparison.Ordinal) ? ProductKind
            : key.StartsWith("catalog:products:", StringComparison.Ordinal) ? ProductListKind
            : key == CategoryList ? CategoriesKind
            : key.StartsWith("catalog:popular:", StringComparison.Ordinal) || key.StartsWith("analytics:", StringComparison.Ordinal) ? AnalyticsKind
            : OtherKind;
    }

    /// <summary>True when <paramref name="key"/> is 1 to 200 printable ASCII characters without spaces.</summary>
    public static bool IsValidKey(string? key) => IsValidName(key);

    /// <summary>True when <paramref name="tag"/> is 1 to 200 printable ASCII characters without spaces.</summary>
    public static bool IsValidTag(string? tag) => IsValidName(tag);

    private static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            // '!' (0x21) to '~' (0x7E): no space, no control characters, nothing outside ASCII.
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static string Segment(string value)
    {
        if (value.Length is > 0 and <= MaxPlainSegment && value.All(IsPlain))
        {
            return value;
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        return "h" + Convert.ToHexStringLower(hash, 0, 16);
    }

    // No ':' so a segment can never forge another key's structure; 'h' + hex is also plain, but a plain
    // 33-character value starting with 'h' could only collide with a hash by breaking SHA-256.
    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or '=';

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
