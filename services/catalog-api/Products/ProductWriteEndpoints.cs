using Catalog.Api.Data;
using Catalog.Api.Writes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Hosting.Errors;
using Platform.Hosting.Security;

namespace Catalog.Api.Products;

/// <summary>Product writes, each through <see cref="CatalogWrite"/>; views are anonymous under a per-node limit (<see cref="ViewLimits"/>).</summary>
public static class ProductWriteEndpoints
{
    internal static readonly WriteTarget<Product, ProductDto> Target = new("Product", "catalog.products", "/api/products", ToDto, new Dictionary<string, ConstraintRefusal>
    {
        ["products_sku_key"] = new(StatusCodes.Status409Conflict, "sku", "a product with this sku already exists"),
        ["products_category_id_fkey"] = new(StatusCodes.Status400BadRequest, "categoryId", "must be the id of an existing category"),
    });

    public static RouteGroupBuilder MapProductWrites(this RouteGroupBuilder group)
    {
        group.MapPost("/", CreateAsync).WithName("CreateProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", UpdateAsync).WithName("UpdateProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);
        group.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPost("/{id:long}/views", RecordViewAsync).WithName("RecordProductView").RequireRateLimiting(ViewLimits.Policy)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status429TooManyRequests);
        return group;
    }

    internal static Task<Results<Created<ProductDto>, ValidationProblem, ProblemHttpResult>> CreateAsync([AsParameters] CreateProduct request) =>
        request.Write.CreateAsync(Target, request.Body, ProductRules.Validate, static (body, id, now) =>
        {
            var product = new Product
            {
                Id = id,
                Sku = body.Sku!,
                Name = body.Name!.Trim(),
                Description = body.Description ?? "",
                CategoryId = body.CategoryId!.Value,
                Price = body.Price!.Value,
                Currency = body.Currency ?? "EUR",
                Status = body.Status ?? "draft",
                CreatedAt = now,
                UpdatedAt = now,
                Version = 1,
            };
            var created = new ProductCreated(id, product.Sku, product.CategoryId, product.Price, product.Currency, product.Status, product.Version, now);
            return (product, new WriteEvents([created], InvalidationRules.For(created)));
        });

    internal static Task<Results<Ok<ProductDto>, ValidationProblem, ProblemHttpResult>> UpdateAsync([AsParameters] UpdateProduct request) =>
        request.Write.UpdateAsync(Target, request.Id, request.IfMatch, request.Body, body => ProductRules.Validate(body, request.Id), static (product, body, now) =>
        {
            var previousCategory = product.CategoryId;
            var previousPrice = product.Price;
            product.Name = body.Name!.Trim();
            product.Description = body.Description!;
            product.CategoryId = body.CategoryId!.Value;
            product.Price = body.Price!.Value;
            product.Currency = body.Currency!;
            product.Status = body.Status!;
            product.UpdatedAt = now;
            var updated = new ProductUpdated(product.Id, product.CategoryId, previousCategory, product.Status, product.Version, now);
            // The price event's evictions are a subset of the update's: one plan covers both.
            return new WriteEvents(
                product.Price == previousPrice
                    ? [updated]
                    : [updated, new ProductPriceChanged(product.Id, product.CategoryId, previousPrice, product.Price, product.Currency, product.Version, now)],
                InvalidationRules.For(updated));
        });

    internal static Task<Results<NoContent, ProblemHttpResult>> DeleteAsync([AsParameters] DeleteProduct request) =>
        request.Write.DeleteAsync(Target, request.Id, request.IfMatch, static (product, now) =>
        {
            var deleted = new ProductDeleted(product.Id, product.CategoryId, product.Version + 1, now);
            return new WriteEvents([deleted], InvalidationRules.For(deleted));
        });

    internal static async Task<Results<Accepted, ProblemHttpResult>> RecordViewAsync([AsParameters] RecordView request)
    {
        var write = request.Write;
        var categoryId = await write.Db.Products.Where(p => p.Id == request.Id).Select(p => (long?)p.CategoryId).FirstOrDefaultAsync(write.Aborted);
        if (categoryId is null)
        {
            return Problems.NotFound(Target.Name, request.Id);
        }

        // A view makes nothing stale: the analytics it feeds are evicted by their own rollup event.
        await write.RecordAsync(new WriteEvents([new ProductViewed(request.Id, categoryId.Value, write.Now)], InvalidationPlan.Nothing));
        return TypedResults.Accepted((string?)null);
    }

    internal static ProductDto ToDto(Product p) =>
        new(p.Id, p.Sku, p.Name, p.Description, p.CategoryId, p.Price, p.Currency.TrimEnd(), p.Status, p.CreatedAt, p.UpdatedAt, p.Version);

    internal sealed record CreateProduct([FromBody] CreateProductRequest? Body, CatalogWrite Write);

    internal sealed record UpdateProduct(long Id, [FromHeader(Name = "If-Match")] string? IfMatch, [FromBody] UpdateProductRequest? Body, CatalogWrite Write);

    internal sealed record DeleteProduct(long Id, [FromHeader(Name = "If-Match")] string? IfMatch, CatalogWrite Write);

    internal sealed record RecordView(long Id, CatalogWrite Write);
}
