namespace Catalog.Api.Products;

/// <summary>A product as the API shows it.</summary>
public sealed record ProductDto(
    long Id,
    string Sku,
    string Name,
    string Description,
    long CategoryId,
    decimal Price,
    string Currency,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    int Version);

/// <summary>One page of a product list.</summary>
public sealed record ProductPage(IReadOnlyList<ProductDto> Items, string? NextCursor);
