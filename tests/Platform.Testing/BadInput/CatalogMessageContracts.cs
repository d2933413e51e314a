using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;

namespace Platform.Testing.BadInput;

/// <summary>The catalog events' wire contracts (shared/contracts/Catalog), field by field, for every queue that consumes them.</summary>
public static class CatalogMessageContracts
{
    public static readonly MessageContract ProductCreated = Catalog<ProductCreated>(
        ("productId", FieldKind.Long), ("sku", FieldKind.Text), ("categoryId", FieldKind.Long), ("price", FieldKind.Decimal),
        ("currency", FieldKind.Text), ("status", FieldKind.Text), ("version", FieldKind.Int), ("occurredAt", FieldKind.Time));

    public static readonly MessageContract ProductUpdated = Catalog<ProductUpdated>(
        ("productId", FieldKind.Long), ("categoryId", FieldKind.Long), ("previousCategoryId", FieldKind.Long),
        ("status", FieldKind.Text), ("version", FieldKind.Int), ("occurredAt", FieldKind.Time));

    public static readonly MessageContract ProductDeleted = Catalog<ProductDeleted>(
        ("productId", FieldKind.Long), ("categoryId", FieldKind.Long), ("version", FieldKind.Int), ("occurredAt", FieldKind.Time));

    public static readonly MessageContract ProductPriceChanged = Catalog<ProductPriceChanged>(
        ("productId", FieldKind.Long), ("categoryId", FieldKind.Long), ("previousPrice", FieldKind.Decimal),
        ("price", FieldKind.Decimal), ("currency", FieldKind.Text), ("version", FieldKind.Int), ("occurredAt", FieldKind.Time));

    public static readonly MessageContract ProductViewed = Catalog<ProductViewed>(
        ("productId", FieldKind.Long), ("categoryId", FieldKind.Long), ("occurredAt", FieldKind.Time));

    public static readonly MessageContract CategoryChanged = Catalog<CategoryChanged>(
        ("categoryId", FieldKind.Long), ("slug", FieldKind.Text), ("version", FieldKind.Int), ("occurredAt", FieldKind.Time));

    private static MessageContract Catalog<T>(params (string, FieldKind)[] fields) => new(MessageUrns.For<T>(), fields);
}
