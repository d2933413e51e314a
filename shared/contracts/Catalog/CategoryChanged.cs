namespace Platform.Contracts.Catalog;

/// <summary>A category was created (<paramref name="Version"/> 1) or updated.</summary>
/// <param name="CategoryId">The category's id.</param>
/// <param name="Slug">Its URL slug after the change.</param>
/// <param name="Version">The category's version after the change.</param>
/// <param name="OccurredAt">When the change was made.</param>
public sealed record CategoryChanged(long CategoryId, string Slug, int Version, DateTimeOffset OccurredAt);
