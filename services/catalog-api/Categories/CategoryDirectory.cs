using System.Globalization;
using Catalog.Api.Http;
using Npgsql;
using Platform.Caching;
using Platform.Contracts.Caching;

namespace Catalog.Api.Categories;

/// <summary>
/// The category list, cached: served as ready JSON by <c>GET /api/categories</c>, and as a slug → id map so a
/// product list addressed by slug costs no extra query. Both carry the <c>categories</c> tag.
/// </summary>
public sealed class CategoryDirectory(ITwoLevelCache cache, CachedJson cached, NpgsqlDataSource db, Microsoft.Extensions.Options.IOptions<CatalogOptions> options)
{
    private const string IdsKey = "catalog:category-ids";
    private static readonly string[] Tags = [CacheNames.Categories];

    public ValueTask<Platform.Caching.CachedPayload?> GetListAsync(CancellationToken cancellationToken) =>
        cached.GetAsync(CacheNames.CategoryList, Tags, db, static async (db, ct) => CachedJson.Build(new ListResponse<CategoryDto>(await CategoryQueries.ListAsync(db, ct))), cancellationToken);

    /// <summary>The id of the category named by id or slug, or null when there is none.</summary>
    public async ValueTask<long?> ResolveAsync(string idOrSlug, CancellationToken cancellationToken)
    {
        var ids = options.Value.CacheEnabled
            ? await cache.GetOrSetAsync(IdsKey, db, static (db, _, ct) => LoadIdsAsync(db, ct), cached.EntryOptions, Tags, cancellationToken)
            : await LoadIdsAsync(db, cancellationToken);
        if (long.TryParse(idOrSlug, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return ids.ContainsValue(id) ? id : null;
        }

        return ids.TryGetValue(idOrSlug, out var bySlug) ? bySlug : null;
    }

    private static async Task<Dictionary<string, long>> LoadIdsAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var list = await CategoryQueries.ListAsync(db, cancellationToken);
        return list.ToDictionary(c => c.Slug, c => c.Id, StringComparer.Ordinal);
    }
}
