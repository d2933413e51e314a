using System.Reflection;
using System.Text.RegularExpressions;
using Platform.Contracts;

namespace Platform.Contracts.Tests;

public sealed partial class MessageTypesTests
{
    private static readonly Type[] Contracts = [.. typeof(MessageTypes).Assembly.GetExportedTypes()
        .Where(t => t is { IsClass: true, IsAbstract: false } && t.Namespace is { } ns
            && (ns.EndsWith(".Catalog", StringComparison.Ordinal) || ns.EndsWith(".Analytics", StringComparison.Ordinal) || ns.EndsWith(".Caching", StringComparison.Ordinal))
            && t.GetMethod("<Clone>$") is not null)];

    [GeneratedRegex("^[a-z]+(-[a-z]+)*\\.[a-z]+(-[a-z]+)*\\.v[1-9][0-9]*$")]
    private static partial Regex NameFormat();

    [Fact]
    public void EveryContractRecordIsRegistered()
    {
        Assert.Equal(8, Contracts.Length);
        Assert.All(Contracts, type => Assert.True(MessageTypes.TryGetName(type, out _), $"{type.FullName} is not registered in MessageTypes"));
        Assert.Equal(Contracts.OrderBy(t => t.FullName), MessageTypes.All.Values.OrderBy(t => t.FullName));
    }

    [Fact]
    public void NamesAreDistinctVersionedAndMapBackToTheirType()
    {
        var names = MessageTypes.All.Keys.ToList();

        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.All(names, name => Assert.Matches(NameFormat(), name));
        foreach (var (name, type) in MessageTypes.All)
        {
            Assert.Equal(name, MessageTypes.NameOf(type));
            Assert.True(MessageTypes.TryGetType(name, out var resolved));
            Assert.Same(type, resolved);
        }
    }

    [Fact]
    public void NamesAreStable()
    {
        // Rows already in outboxes carry these names: changing one orphans them. Add new names, never edit these.
        Assert.Equal("catalog.product-created.v1", MessageTypes.NameOf<Catalog.ProductCreated>());
        Assert.Equal("catalog.product-updated.v1", MessageTypes.NameOf<Catalog.ProductUpdated>());
        Assert.Equal("catalog.product-deleted.v1", MessageTypes.NameOf<Catalog.ProductDeleted>());
        Assert.Equal("catalog.product-price-changed.v1", MessageTypes.NameOf<Catalog.ProductPriceChanged>());
        Assert.Equal("catalog.product-viewed.v1", MessageTypes.NameOf<Catalog.ProductViewed>());
        Assert.Equal("catalog.category-changed.v1", MessageTypes.NameOf<Catalog.CategoryChanged>());
        Assert.Equal("analytics.rollup-completed.v1", MessageTypes.NameOf<Analytics.AnalyticsRollupCompleted>());
        Assert.Equal("caching.invalidation-requested.v1", MessageTypes.NameOf<Caching.CacheInvalidationRequested>());
    }

    [Fact]
    public void UnknownNamesAndTypesAreNotFound()
    {
        Assert.False(MessageTypes.TryGetType("catalog.product-created.v0", out _));
        Assert.False(MessageTypes.TryGetType(null, out _));
        Assert.False(MessageTypes.TryGetName(typeof(string), out _));
        var error = Assert.Throws<ArgumentException>(() => MessageTypes.NameOf<string>());
        Assert.Contains("System.String is not a registered message contract", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryContractIsASealedPositionalRecordInAMessagingNamespace()
    {
        foreach (var type in Contracts)
        {
            Assert.True(type.IsSealed, $"{type.Name} is not sealed");
            Assert.StartsWith("Platform.Contracts.", type.Namespace, StringComparison.Ordinal);
            Assert.Single(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance), c => c.GetParameters().Length > 0);
        }
    }

    [Fact]
    public void EveryEventCarriesWhenItHappened()
    {
        Assert.All(Contracts.Where(t => t != typeof(Caching.CacheInvalidationRequested)), type =>
            Assert.Contains(type.GetProperties(), p => p.PropertyType == typeof(DateTimeOffset) && p.Name is "OccurredAt" or "CompletedAt"));
    }
}
