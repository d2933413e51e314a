using System.Text.RegularExpressions;

namespace Catalog.Api.Products;

/// <summary>Body of <c>POST /api/products</c>; <c>description</c>, <c>currency</c> and <c>status</c> default to "", EUR, draft.</summary>
public sealed record CreateProductRequest(string? Sku, string? Name, string? Description, long? CategoryId, decimal? Price, string? Currency, string? Status);

/// <summary>
/// Body of <c>PUT /api/products/{id}</c>: the product's whole new state (the sku never changes). Every field is required:
/// a PUT replaces, so a field left out would otherwise be blanked or kept depending on which field it was.
/// </summary>
/// <remarks>
/// The body a GET returned can be sent back as it is: its read-only members (<c>id</c>, <c>sku</c>, <c>version</c>,
/// <c>createdAt</c>, <c>updatedAt</c>) are accepted and ignored, except an <c>id</c> other than the path's (400: the body
/// of another product is a client bug, not an update). The version a write is based on is the <c>If-Match</c> header's.
/// </remarks>
public sealed record UpdateProductRequest(
    string? Name, string? Description, long? CategoryId, decimal? Price, string? Currency, string? Status,
    long? Id = null, string? Sku = null, int? Version = null, DateTimeOffset? CreatedAt = null, DateTimeOffset? UpdatedAt = null);

/// <summary>Field rules for product bodies; each failure names the field and says what is allowed.</summary>
internal static partial class ProductRules
{
    public const decimal MaxPrice = 9_999_999_999.99m;
    public static readonly string[] Statuses = ["draft", "active", "archived"];

    public static Dictionary<string, string[]> Validate(CreateProductRequest request)
    {
        var errors = ValidateState(request.Name, request.Description, request.CategoryId, request.Price, request.Currency, request.Status, replace: false);
        if (string.IsNullOrEmpty(request.Sku))
        {
            errors["sku"] = ["is required"];
        }
        else if (!SkuFormat().IsMatch(request.Sku))
        {
            errors["sku"] = ["must be 3-32 characters: uppercase letters, digits and dashes, starting with a letter or digit"];
        }

        return errors;
    }

    public static Dictionary<string, string[]> Validate(UpdateProductRequest request, long id)
    {
        var errors = ValidateState(request.Name, request.Description, request.CategoryId, request.Price, request.Currency, request.Status, replace: true);
        if (request.Id is { } bodyId && bodyId != id)
        {
            errors["id"] = [$"must be {id}, the id in the path, or left out (it is read-only)"];
        }

        return errors;
    }

    /// <param name="replace">A PUT: the fields a create defaults are required too.</param>
    private static Dictionary<string, string[]> ValidateState(string? name, string? description, long? categoryId, decimal? price, string? currency, string? status, bool replace)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(name))
        {
            errors["name"] = ["is required"];
        }
        else if (name.Length > 200)
        {
            errors["name"] = ["must be at most 200 characters"];
        }
        else if (name.Any(char.IsControl))
        {
            errors["name"] = ["must not contain control characters"];
        }

        if (description is null && replace)
        {
            errors["description"] = ["is required (send \"\" for none)"];
        }
        else if (description is { Length: > 2000 })
        {
            errors["description"] = ["must be at most 2000 characters"];
        }
        else if (description is not null && description.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            errors["description"] = ["must not contain control characters other than line breaks and tabs"];
        }

        if (categoryId is null)
        {
            errors["categoryId"] = ["is required"];
        }
        else if (categoryId <= 0)
        {
            errors["categoryId"] = ["must be a positive id"];
        }

        if (price is null)
        {
            errors["price"] = ["is required"];
        }
        else if (price < 0)
        {
            errors["price"] = ["must be zero or more"];
        }
        else if (price > MaxPrice)
        {
            errors["price"] = [$"must be at most {MaxPrice}"];
        }
        else if (decimal.Round(price.Value, 2) != price)
        {
            errors["price"] = ["must have at most two decimals"];
        }

        if (currency is null && replace)
        {
            errors["currency"] = ["is required"];
        }
        else if (currency is not null && !CurrencyFormat().IsMatch(currency))
        {
            errors["currency"] = ["must be a three-letter ISO 4217 code in capitals, e.g. EUR"];
        }

        if (status is null && replace)
        {
            errors["status"] = ["is required"];
        }
        else if (status is not null && !Statuses.Contains(status))
        {
            errors["status"] = ["must be one of: draft, active, archived"];
        }

        return errors;
    }

    [GeneratedRegex("^[A-Z0-9][A-Z0-9-]{2,31}$")]
    private static partial Regex SkuFormat();

    [GeneratedRegex("^[A-Z]{3}$")]
    private static partial Regex CurrencyFormat();
}
