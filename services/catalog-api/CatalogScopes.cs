namespace Catalog.Api;

/// <summary>API-key scopes the catalog checks.</summary>
public static class CatalogScopes
{
    /// <summary>Create, change and delete categories and products.</summary>
    public const string Write = "catalog:write";
}
