namespace Platform.Contracts.Catalog;

/// <summary>A product was created in the catalog.</summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="Sku">Its stock-keeping unit, unique in the catalog.</param>
/// <param name="CategoryId">The category it belongs to.</param>
/// <param name="Price">Its price in <paramref name="Currency"/>.</param>
/// <param name="Currency">ISO 4217 code, e.g. <c>EUR</c>.</param>
/// <param name="Status"><c>draft</c>, <c>active</c> or <c>archived</c>.</param>
/// <param name="Version">The product's version after the change (1 for a new product).</param>
/// <param name="OccurredAt">When the change was made.</param>
public sealed record ProductCreated(
    long ProductId,
    string Sku,
    long CategoryId,
    decimal Price,
    string Currency,
    string Status,
    int Version,
    DateTimeOffset OccurredAt);
