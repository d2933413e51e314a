using Catalog.Api.Caching;
using Catalog.Api.Data;
using Catalog.Api.Http;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Hosting.Security;
using Platform.Messaging.Outbox;

namespace Catalog.Api.Products;

/// <summary>
/// Product writes. Each commits the change and its events (outbox) in one transaction, then evicts what it made stale
/// on this node's cache (<see cref="WriteEviction"/>, best effort); the invalidator evicts again when the events arrive.
/// </summary>
public static class ProductWriteEndpoints
{
    public static RouteGroupBuilder MapProductWrites(this RouteGroupBuilder group)
    {
        group.MapPost("/", CreateAsync).WithName("CreateProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces<ProductDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", UpdateAsync).WithName("UpdateProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces<ProductDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);
        group.MapDelete("/{id:long}", DeleteAsync).WithName("DeleteProduct").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        group.MapPost("/{id:long}/views", RecordViewAsync).WithName("RecordProductView").RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound);
        return group;
    }

    internal static async Task<IResult> CreateAsync(HttpContext context, CreateProductRequest? request, CatalogDbContext db, WriteEviction eviction, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return Problems.EmptyBody();
        }

        var errors = ProductRules.Validate(request);
        if (errors.Count == 0 && !await db.Categories.AnyAsync(c => c.Id == request.CategoryId, cancellationToken))
        {
            errors["categoryId"] = [$"category {request.CategoryId} does not exist"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid product");
        }

        var now = time.GetUtcNow();
        var product = new Product
        {
            Sku = request.Sku!,
            Name = request.Name!.Trim(),
            Description = request.Description ?? "",
            CategoryId = request.CategoryId!.Value,
            Price = request.Price!.Value,
            Currency = request.Currency ?? "EUR",
            Status = request.Status ?? "draft",
            CreatedAt = now,
            UpdatedAt = now,
            Version = 1,
        };

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Products.Add(product);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Problems.Conflict("sku", $"a product with sku '{product.Sku}' already exists");
        }

        var created = new ProductCreated(product.Id, product.Sku, product.CategoryId, product.Price, product.Currency, product.Status, product.Version, now);
        db.AddOutboxMessage(created);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await eviction.EvictAsync(InvalidationRules.For(created));

        context.Response.Headers.ETag = ETags.ForVersion(product.Version);
        return TypedResults.Created($"/api/products/{product.Id}", ToDto(product));
    }

    internal static async Task<IResult> UpdateAsync(HttpContext context, long id, UpdateProductRequest? request, CatalogDbContext db, WriteEviction eviction, TimeProvider time, CancellationToken cancellationToken)
    {
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrEmpty(ifMatch))
        {
            return Problems.PreconditionRequired();
        }

        if (request is null)
        {
            return Problems.EmptyBody();
        }

        var errors = ProductRules.Validate(request);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid product");
        }

        var product = await db.Products.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return Problems.NotFound("Product", id);
        }

        if (!ETags.TryParseVersion(ifMatch, out var expected) || expected != product.Version)
        {
            return Problems.PreconditionFailed(context, product.Version);
        }

        if (request.CategoryId != product.CategoryId && !await db.Categories.AnyAsync(c => c.Id == request.CategoryId, cancellationToken))
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["categoryId"] = [$"category {request.CategoryId} does not exist"] }, title: "Invalid product");
        }

        var now = time.GetUtcNow();
        var previousCategory = product.CategoryId;
        var previousPrice = product.Price;
        product.Name = request.Name!.Trim();
        product.Description = request.Description ?? "";
        product.CategoryId = request.CategoryId!.Value;
        product.Price = request.Price!.Value;
        product.Currency = request.Currency ?? product.Currency;
        product.Status = request.Status ?? product.Status;
        product.UpdatedAt = now;
        product.Version++;

        var updated = new ProductUpdated(product.Id, product.CategoryId, previousCategory, product.Status, product.Version, now);
        db.AddOutboxMessage(updated);
        if (product.Price != previousPrice)
        {
            // Its evictions are a subset of the update's: one plan covers both.
            db.AddOutboxMessage(new ProductPriceChanged(product.Id, product.CategoryId, previousPrice, product.Price, product.Currency, product.Version, now));
        }

        try
        {
            // One statement batch in one transaction: the row (guarded by its original version) and the events.
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed(context, null);
        }

        await eviction.EvictAsync(InvalidationRules.For(updated));
        context.Response.Headers.ETag = ETags.ForVersion(product.Version);
        return TypedResults.Ok(ToDto(product));
    }

    internal static async Task<IResult> DeleteAsync(HttpContext context, long id, CatalogDbContext db, WriteEviction eviction, TimeProvider time, CancellationToken cancellationToken)
    {
        var product = await db.Products.FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (product is null)
        {
            return Problems.NotFound("Product", id);
        }

        var ifMatch = context.Request.Headers.IfMatch.ToString();
        if (!string.IsNullOrEmpty(ifMatch) && (!ETags.TryParseVersion(ifMatch, out var expected) || expected != product.Version))
        {
            return Problems.PreconditionFailed(context, product.Version);
        }

        db.Products.Remove(product);
        var deleted = new ProductDeleted(product.Id, product.CategoryId, product.Version + 1, time.GetUtcNow());
        db.AddOutboxMessage(deleted);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed(context, null);
        }

        await eviction.EvictAsync(InvalidationRules.For(deleted));
        return TypedResults.NoContent();
    }

    internal static async Task<IResult> RecordViewAsync(long id, CatalogDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var categoryId = await db.Products.Where(p => p.Id == id).Select(p => (long?)p.CategoryId).FirstOrDefaultAsync(cancellationToken);
        if (categoryId is null)
        {
            return Problems.NotFound("Product", id);
        }

        db.AddOutboxMessage(new ProductViewed(id, categoryId.Value, time.GetUtcNow()));
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Accepted((string?)null);
    }

    internal static ProductDto ToDto(Product p) =>
        new(p.Id, p.Sku, p.Name, p.Description, p.CategoryId, p.Price, p.Currency.TrimEnd(), p.Status, p.CreatedAt, p.UpdatedAt, p.Version);
}
