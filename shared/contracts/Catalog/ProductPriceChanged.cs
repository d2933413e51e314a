namespace Platform.Contracts.Catalog;

/// <summary>A product's price changed.</summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="CategoryId">The category it belongs to.</param>
/// <param name="PreviousPrice">The price before the change, in <paramref name="Currency"/>.</param>
/// <param name="Price">The price after the change, in <paramref name="Currency"/>.</param>
/// <param name="Currency">ISO 4217 code, e.g. <c>EUR</c>.</param>
/// <param name="Version">The product's version after the change.</param>
/// <param name="OccurredAt">When the change was made.</param>
public sealed record ProductPriceChanged(
    long ProductId,
    long CategoryId,
    decimal PreviousPrice,
    decimal Price,
    string Currency,
    int Version,
    DateTimeOffset OccurredAt);
