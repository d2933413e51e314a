namespace Catalog.Api.Products;

/// <summary>The list orders, each served by its own index (see migration 0003).</summary>
public enum ProductSort
{
    Recent,
    Name,
    PriceAsc,
    PriceDesc,
}

internal static class ProductSorts
{
    public static readonly string Allowed = "recent, name, price_asc, price_desc";

    public static bool TryParse(string? value, out ProductSort sort)
    {
        sort = value switch
        {
            null or "" or "recent" => ProductSort.Recent,
            "name" => ProductSort.Name,
            "price_asc" => ProductSort.PriceAsc,
            "price_desc" => ProductSort.PriceDesc,
            _ => (ProductSort)(-1),
        };
        return Enum.IsDefined(sort);
    }

    public static string Name(ProductSort sort) => sort switch
    {
        ProductSort.Recent => "recent",
        ProductSort.Name => "name",
        ProductSort.PriceAsc => "price_asc",
        _ => "price_desc",
    };
}
