namespace Platform.Contracts.Catalog;

/// <summary>A product was deleted from the catalog.</summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="CategoryId">The category it belonged to.</param>
/// <param name="Version">The product's last version (the one that was deleted).</param>
/// <param name="OccurredAt">When it was deleted.</param>
public sealed record ProductDeleted(long ProductId, long CategoryId, int Version, DateTimeOffset OccurredAt);
