namespace Platform.Contracts.Catalog;

/// <summary>
/// A product's details changed (name, description, status or category). Price changes are
/// <see cref="ProductPriceChanged"/>. <paramref name="PreviousCategoryId"/> equals <paramref name="CategoryId"/>
/// unless the product moved, so consumers can invalidate both categories' lists.
/// </summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="CategoryId">The category it belongs to after the change.</param>
/// <param name="PreviousCategoryId">The category it belonged to before the change.</param>
/// <param name="Status">Its status after the change.</param>
/// <param name="Version">The product's version after the change.</param>
/// <param name="OccurredAt">When the change was made.</param>
public sealed record ProductUpdated(
    long ProductId,
    long CategoryId,
    long PreviousCategoryId,
    string Status,
    int Version,
    DateTimeOffset OccurredAt);
