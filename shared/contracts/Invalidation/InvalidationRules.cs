using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;

namespace Platform.Contracts.Invalidation;

/// <summary>
/// The one rule table: which cached entries each event makes stale, in the names of <see cref="CacheNames"/>.
/// The catalog caches a product under <c>Product(id)</c> (tag <c>ProductTag(id)</c>), list pages of a category under
/// <c>CategoryTag(c)</c>, list pages across categories under <c>AllCategoriesProductLists</c>, the category list
/// under <c>Categories</c>, and analytics per category under <c>AnalyticsCategory(c)</c>. The invalidator applies it
/// to every event it consumes; the catalog also applies it to its own events right after their commit (ADR 009).
/// </summary>
public static class InvalidationRules
{
    public static InvalidationPlan For(ProductCreated e) =>
        new([CacheNames.Product(e.ProductId)], [CacheNames.CategoryTag(e.CategoryId), CacheNames.AllCategoriesProductLists]);

    public static InvalidationPlan For(ProductUpdated e) => new(
        [CacheNames.Product(e.ProductId)],
        e.PreviousCategoryId != e.CategoryId
            ? [CacheNames.ProductTag(e.ProductId), CacheNames.CategoryTag(e.CategoryId), CacheNames.CategoryTag(e.PreviousCategoryId), CacheNames.AllCategoriesProductLists]
            : [CacheNames.ProductTag(e.ProductId), CacheNames.CategoryTag(e.CategoryId), CacheNames.AllCategoriesProductLists]);

    public static InvalidationPlan For(ProductDeleted e) =>
        new([CacheNames.Product(e.ProductId)], [CacheNames.ProductTag(e.ProductId), CacheNames.CategoryTag(e.CategoryId), CacheNames.AllCategoriesProductLists]);

    public static InvalidationPlan For(ProductPriceChanged e) =>
        new([CacheNames.Product(e.ProductId)], [CacheNames.CategoryTag(e.CategoryId), CacheNames.AllCategoriesProductLists]);

    public static InvalidationPlan For(CategoryChanged e) =>
        new([CacheNames.CategoryList], [CacheNames.Categories, CacheNames.CategoryTag(e.CategoryId)]);

    public static InvalidationPlan For(AnalyticsRollupCompleted e) =>
        new([], [.. e.CategoryIds.Distinct().Select(CacheNames.AnalyticsCategory), CacheNames.AllCategoriesAnalytics]);
}
