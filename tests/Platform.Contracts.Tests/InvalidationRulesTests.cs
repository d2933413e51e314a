using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;

namespace Platform.Contracts.Tests;

/// <summary>The rule table the invalidator and the writing catalog node both apply, per event.</summary>
public sealed class InvalidationRulesTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 21, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ProductCreatedEvictsTheItemKeyAndTheListsItCanAppearIn()
    {
        var plan = InvalidationRules.For(new ProductCreated(7, "SKU-7", 3, 9.5m, "EUR", "active", 1, At));

        Assert.Equal(["catalog:product:7"], plan.Keys);
        Assert.Equal(["category:3", "product-lists:all-categories"], plan.Tags);
    }

    [Fact]
    public void ProductUpdatedWithinItsCategoryEvictsItemProductTagAndListsOfThatCategory()
    {
        var plan = InvalidationRules.For(new ProductUpdated(7, 3, 3, "active", 2, At));

        Assert.Equal(["catalog:product:7"], plan.Keys);
        Assert.Equal(["product:7", "category:3", "product-lists:all-categories"], plan.Tags);
    }

    [Fact]
    public void ProductMovedToAnotherCategoryEvictsListsOfBothCategories()
    {
        var plan = InvalidationRules.For(new ProductUpdated(7, 4, 3, "active", 2, At));

        Assert.Equal(["product:7", "category:4", "category:3", "product-lists:all-categories"], plan.Tags);
    }

    [Fact]
    public void ProductDeletedEvictsLikeAnUpdate()
    {
        var plan = InvalidationRules.For(new ProductDeleted(7, 3, 3, At));

        Assert.Equal(["catalog:product:7"], plan.Keys);
        Assert.Equal(["product:7", "category:3", "product-lists:all-categories"], plan.Tags);
    }

    [Fact]
    public void PriceChangeEvictsTheItemAndThePriceSortedListsOfItsCategory()
    {
        var plan = InvalidationRules.For(new ProductPriceChanged(7, 3, 9m, 10m, "EUR", 2, At));

        Assert.Equal(["catalog:product:7"], plan.Keys);
        Assert.Equal(["category:3", "product-lists:all-categories"], plan.Tags);
    }

    [Fact]
    public void CategoryChangedEvictsTheCategoryListAndTheCategorysPages()
    {
        var plan = InvalidationRules.For(new CategoryChanged(3, "audio", 2, At));

        Assert.Equal([CacheNames.CategoryList], plan.Keys);
        Assert.Equal(["categories", "category:3"], plan.Tags);
    }

    [Fact]
    public void RollupCompletedEvictsTheAnalyticsOfEachAffectedCategoryOnce()
    {
        var plan = InvalidationRules.For(new AnalyticsRollupCompleted([3, 5, 3], [new DateOnly(2026, 11, 21)], 42, At));

        Assert.Empty(plan.Keys);
        Assert.Equal(["analytics:category:3", "analytics:category:5", "analytics:all-categories"], plan.Tags);
    }
}
