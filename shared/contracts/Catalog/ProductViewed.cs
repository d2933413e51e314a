namespace Platform.Contracts.Catalog;

/// <summary>A product's page was viewed: input of the popularity analytics. Views do not change the product, so no version.</summary>
/// <param name="ProductId">The product's id.</param>
/// <param name="CategoryId">The category it belongs to.</param>
/// <param name="OccurredAt">When it was viewed.</param>
public sealed record ProductViewed(long ProductId, long CategoryId, DateTimeOffset OccurredAt);
