using System.Diagnostics.CodeAnalysis;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;

namespace Platform.Contracts;

/// <summary>
/// Stable names of every message contract, e.g. <c>catalog.product-created.v1</c>: the outbox stores the name with
/// each payload and the relay turns it back into the CLR type. Names are <c>{area}.{kebab-case event}.v{n}</c>,
/// independent of CLR namespaces and assemblies, so a contract class can be moved or renamed without orphaning rows
/// already in an outbox (MassTransit's URN, built from namespace and name, would change with the namespace).
/// </summary>
/// <remarks>
/// A name, once shipped, is never reused for another shape. Additive changes keep the name; a breaking change is a
/// new contract type with the next version suffix, registered here beside the old one until no outbox holds it.
/// </remarks>
public static class MessageTypes
{
    private static readonly (string Name, Type Type)[] Registrations =
    [
        ("catalog.product-created.v1", typeof(ProductCreated)),
        ("catalog.product-updated.v1", typeof(ProductUpdated)),
        ("catalog.product-deleted.v1", typeof(ProductDeleted)),
        ("catalog.product-price-changed.v1", typeof(ProductPriceChanged)),
        ("catalog.product-viewed.v1", typeof(ProductViewed)),
        ("catalog.category-changed.v1", typeof(CategoryChanged)),
        ("analytics.rollup-completed.v1", typeof(AnalyticsRollupCompleted)),
        ("caching.invalidation-requested.v1", typeof(CacheInvalidationRequested)),
    ];

    private static readonly Dictionary<string, Type> ByName = Registrations.ToDictionary(r => r.Name, r => r.Type, StringComparer.Ordinal);
    private static readonly Dictionary<Type, string> ByType = Registrations.ToDictionary(r => r.Type, r => r.Name);

    /// <summary>Every registered name and its contract type.</summary>
    public static IReadOnlyDictionary<string, Type> All => ByName;

    /// <summary>The name of <paramref name="type"/>; throws <see cref="ArgumentException"/> for a type that is not a registered contract.</summary>
    public static string NameOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return ByType.TryGetValue(type, out var name)
            ? name
            : throw new ArgumentException($"{type.FullName} is not a registered message contract; add it to {nameof(MessageTypes)}", nameof(type));
    }

    /// <summary>The name of <typeparamref name="T"/>.</summary>
    public static string NameOf<T>() => NameOf(typeof(T));

    /// <summary>Finds the contract type registered under <paramref name="name"/>.</summary>
    public static bool TryGetType(string? name, [NotNullWhen(true)] out Type? type)
    {
        type = null;
        return name is not null && ByName.TryGetValue(name, out type);
    }

    /// <summary>Finds the name of <paramref name="type"/>.</summary>
    public static bool TryGetName(Type? type, [NotNullWhen(true)] out string? name)
    {
        name = null;
        return type is not null && ByType.TryGetValue(type, out name);
    }
}
