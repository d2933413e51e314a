using CacheInvalidator.Invalidation;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;

namespace CacheInvalidator.Tests.Invalidation;

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

    [Fact]
    public void DirectRequestInvalidatesExactlyWhatItNames()
    {
        var plan = InvalidationRules.For(new CacheInvalidationRequested(["catalog:product:1", "catalog:product:1"], ["category:2"], "manual fix", "pricing-service"));

        Assert.Equal(["catalog:product:1"], plan.Keys);
        Assert.Equal(["category:2"], plan.Tags);
    }

    public static TheoryData<CacheInvalidationRequested, string> BadRequests => new()
    {
        { new CacheInvalidationRequested([], [], "r", "svc"), "names no key and no tag" },
        { new CacheInvalidationRequested(["has space"], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested([], ["tab\there"], "r", "svc"), "tags[0] is not a valid cache tag" },
        { new CacheInvalidationRequested([new string('k', 201)], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested([.. Enumerable.Range(0, 101).Select(i => $"k{i}")], [], "r", "svc"), "has 101 keys" },
        { new CacheInvalidationRequested(["k"], [], "r", ""), "source must name the sending service" },
        { new CacheInvalidationRequested(["clé"], [], "r", "svc"), "keys[0] is not a valid cache key" },
        { new CacheInvalidationRequested(null!, ["t"], "r", "svc"), "keys is missing" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void InvalidDirectRequestIsRejectedWithAReadableReason(CacheInvalidationRequested request, string reason)
    {
        var error = Assert.Throws<InvalidInvalidationRequestException>(() => InvalidationRules.For(request));

        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RetryIntervalsAreImmediateThenDoublingUpToTheCap()
    {
        var options = new InvalidatorOptions { ImmediateRetries = 2, ExponentialRetries = 4, MinRetryInterval = TimeSpan.FromSeconds(1), MaxRetryInterval = TimeSpan.FromSeconds(5) };

        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(5)], options.RetryIntervals());
    }
}
