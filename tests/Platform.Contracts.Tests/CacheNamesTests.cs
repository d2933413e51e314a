using Platform.Contracts.Caching;

namespace Platform.Contracts.Tests;

public sealed class CacheNamesTests
{
    [Fact]
    public void KeysAndTagsHaveTheirDocumentedNames()
    {
        Assert.Equal("catalog:product:42", CacheNames.Product(42));
        Assert.Equal("catalog:categories", CacheNames.CategoryList);
        Assert.Equal("catalog:products:7:price-asc:20:first", CacheNames.ProductListPage(7, "price-asc", 20, null));
        Assert.Equal("catalog:products:all:newest:50:eyJpZCI6MTJ9", CacheNames.ProductListPage(null, "newest", 50, "eyJpZCI6MTJ9"));
        Assert.Equal("catalog:popular:7:30d:10", CacheNames.PopularProducts(7, 30, 10));
        Assert.Equal("catalog:popular:all:7d:10", CacheNames.PopularProducts(null, 7, 10));
        Assert.Equal("analytics:category-daily:7:2024-04-01:2024-04-30", CacheNames.CategoryDaily(7, new DateOnly(2024, 4, 1), new DateOnly(2024, 4, 30)));
        Assert.Equal("product:42", CacheNames.ProductTag(42));
        Assert.Equal("category:7", CacheNames.CategoryTag(7));
        Assert.Equal("product-lists", CacheNames.AllProductLists);
        Assert.Equal("categories", CacheNames.Categories);
        Assert.Equal("analytics:category:7", CacheNames.AnalyticsCategory(7));
        Assert.Equal("analytics", CacheNames.AllAnalytics);
    }

    [Fact]
    public void LongOrUnusualCursorIsHashedDeterministicallyAndStaysBounded()
    {
        var longCursor = new string('x', 5_000);

        var key = CacheNames.ProductListPage(long.MaxValue, "price-desc", int.MaxValue, longCursor);

        Assert.Equal(key, CacheNames.ProductListPage(long.MaxValue, "price-desc", int.MaxValue, longCursor));
        Assert.NotEqual(key, CacheNames.ProductListPage(long.MaxValue, "price-desc", int.MaxValue, longCursor + "y"));
        Assert.True(CacheNames.IsValidKey(key), key);
        Assert.True(key.Length < 120, key);
        var withSpaceAndColon = CacheNames.ProductListPage(1, "name asc", 20, "a:b");
        Assert.True(CacheNames.IsValidKey(withSpaceAndColon), withSpaceAndColon);
        Assert.Equal(5, withSpaceAndColon.Count(c => c == ':'));
    }

    [Fact]
    public void EveryBuiltNameIsValid()
    {
        string[] names =
        [
            CacheNames.Product(-1), CacheNames.Product(long.MinValue), CacheNames.CategoryList,
            CacheNames.ProductListPage(null, "", 0, ""), CacheNames.ProductListPage(3, "ünïcode", 20, "ç"),
            CacheNames.PopularProducts(null, int.MaxValue, int.MaxValue),
            CacheNames.CategoryDaily(long.MaxValue, DateOnly.MinValue, DateOnly.MaxValue),
            CacheNames.ProductTag(1), CacheNames.CategoryTag(1), CacheNames.AllProductLists, CacheNames.Categories,
            CacheNames.AnalyticsCategory(1), CacheNames.AllAnalytics,
        ];

        Assert.All(names, name => Assert.True(CacheNames.IsValidKey(name) && CacheNames.IsValidTag(name), name));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("catalog:product:1", true)]
    [InlineData("!~", true)]
    [InlineData("", false)]
    [InlineData(null, false)]
    [InlineData("has space", false)]
    [InlineData("tab\there", false)]
    [InlineData("new\nline", false)]
    [InlineData("del\u007f", false)]
    [InlineData("café", false)]
    public void ValidNamesArePrintableAsciiWithoutSpaces(string? name, bool valid)
    {
        Assert.Equal(valid, CacheNames.IsValidKey(name));
        Assert.Equal(valid, CacheNames.IsValidTag(name));
    }

    [Fact]
    public void NamesAreAtMostTwoHundredCharacters()
    {
        Assert.True(CacheNames.IsValidKey(new string('k', 200)));
        Assert.False(CacheNames.IsValidKey(new string('k', 201)));
        Assert.True(CacheNames.IsValidTag(new string('t', 200)));
        Assert.False(CacheNames.IsValidTag(new string('t', 201)));
    }

    [Fact]
    public void EveryCatalogKeyHasItsKindForTheHitRatioPerKind()
    {
        Assert.Equal(
            ["product", "product-list", "product-list", "categories", "analytics", "analytics", "other"],
            [
                CacheNames.KindOf(CacheNames.Product(1)),
                CacheNames.KindOf(CacheNames.ProductListPage(3, "price_asc", 20, null)),
                CacheNames.KindOf(CacheNames.ProductListPage(null, "name", 20, "abc")),
                CacheNames.KindOf(CacheNames.CategoryList),
                CacheNames.KindOf(CacheNames.PopularProducts(null, 7, 10)),
                CacheNames.KindOf(CacheNames.CategoryDaily(3, new DateOnly(2026, 12, 1), new DateOnly(2026, 12, 5))),
                CacheNames.KindOf("someone:else"),
            ]);
    }
}
