using System.Text.RegularExpressions;
using Catalog.Api.Caching;
using Catalog.Api.Data;
using Catalog.Api.Http;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Hosting.Security;
using Platform.Messaging.Outbox;

namespace Catalog.Api.Categories;

/// <summary>Body of <c>POST /api/categories</c> and <c>PUT /api/categories/{id}</c>.</summary>
public sealed record CategoryRequest(string? Slug, string? Name, string? Description);

/// <summary>
/// Category writes: the change and a <see cref="CategoryChanged"/> event in one transaction, then this node's own
/// eviction (<see cref="WriteEviction"/>); the invalidator evicts again when the event arrives.
/// </summary>
public static partial class CategoryWriteEndpoints
{
    public static RouteGroupBuilder MapCategoryWrites(this RouteGroupBuilder group)
    {
        group.MapPost("/", CreateAsync).WithName("CreateCategory").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces<CategoryDto>(StatusCodes.Status201Created).ProducesValidationProblem().ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", UpdateAsync).WithName("UpdateCategory").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .Produces<CategoryDto>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status412PreconditionFailed);
        return group;
    }

    internal static async Task<IResult> CreateAsync(HttpContext context, CategoryRequest? request, CatalogDbContext db, WriteEviction eviction, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return Problems.EmptyBody();
        }

        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid category");
        }

        var now = time.GetUtcNow();
        var category = new Category { Slug = request.Slug!, Name = request.Name!.Trim(), Description = request.Description ?? "", CreatedAt = now, UpdatedAt = now };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Categories.Add(category);
        if (await TrySaveAsync(db, cancellationToken) is { } conflict)
        {
            return conflict;
        }

        var changed = new CategoryChanged(category.Id, category.Slug, category.Version, now);
        db.AddOutboxMessage(changed);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        await eviction.EvictAsync(InvalidationRules.For(changed));
        context.Response.Headers.ETag = ETags.ForVersion(category.Version);
        return TypedResults.Created($"/api/categories/{category.Id}", ToDto(category));
    }

    internal static async Task<IResult> UpdateAsync(HttpContext context, long id, CategoryRequest? request, CatalogDbContext db, WriteEviction eviction, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request is null)
        {
            return Problems.EmptyBody();
        }

        if (Validate(request) is { Count: > 0 } errors)
        {
            return TypedResults.ValidationProblem(errors, title: "Invalid category");
        }

        var category = await db.Categories.FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (category is null)
        {
            return Problems.NotFound("Category", id);
        }

        var ifMatch = context.Request.Headers.IfMatch.ToString();
        if (!string.IsNullOrEmpty(ifMatch) && (!ETags.TryParseVersion(ifMatch, out var expected) || expected != category.Version))
        {
            return Problems.PreconditionFailed(context, category.Version);
        }

        var now = time.GetUtcNow();
        category.Slug = request.Slug!;
        category.Name = request.Name!.Trim();
        category.Description = request.Description ?? "";
        category.UpdatedAt = now;
        category.Version++;
        var changed = new CategoryChanged(category.Id, category.Slug, category.Version, now);
        db.AddOutboxMessage(changed);
        try
        {
            if (await TrySaveAsync(db, cancellationToken) is { } conflict)
            {
                return conflict;
            }
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.PreconditionFailed(context, null);
        }

        await eviction.EvictAsync(InvalidationRules.For(changed));
        context.Response.Headers.ETag = ETags.ForVersion(category.Version);
        return TypedResults.Ok(ToDto(category));
    }

    private static async Task<IResult?> TrySaveAsync(CatalogDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return null;
        }
        catch (DbUpdateException e) when (e is not DbUpdateConcurrencyException && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return Problems.Conflict("slug", "another category already has this slug");
        }
    }

    private static Dictionary<string, string[]> Validate(CategoryRequest request)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrEmpty(request.Slug))
        {
            errors["slug"] = ["is required"];
        }
        else if (request.Slug.Length > 80 || !SlugFormat().IsMatch(request.Slug))
        {
            errors["slug"] = ["must be at most 80 characters: lowercase letters and digits in words joined by single dashes"];
        }

        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors["name"] = ["is required"];
        }
        else if (request.Name.Length > 120 || request.Name.Any(char.IsControl))
        {
            errors["name"] = ["must be at most 120 characters without control characters"];
        }

        if (request.Description is { Length: > 1000 })
        {
            errors["description"] = ["must be at most 1000 characters"];
        }
        else if (request.Description is not null && request.Description.Any(c => char.IsControl(c) && c is not ('\n' or '\r' or '\t')))
        {
            errors["description"] = ["must not contain control characters other than line breaks and tabs"];
        }

        return errors;
    }

    private static CategoryDto ToDto(Category c) => new(c.Id, c.Slug, c.Name, c.Description, c.Version, c.UpdatedAt);

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugFormat();
}
