using Catalog.Api.Http;
using System.Text.RegularExpressions;
using Catalog.Api.Data;
using Catalog.Api.Writes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Platform.Contracts.Catalog;
using Platform.Contracts.Invalidation;
using Platform.Hosting.Security;

namespace Catalog.Api.Categories;

/// <summary>
/// Body of <c>POST /api/categories</c> (<c>description</c> defaults to "") and <c>PUT /api/categories/{id}</c> (the whole
/// new state: every field required).
/// </summary>
/// <remarks>
/// A PUT may send back the body a GET returned: <c>id</c>, <c>version</c> and <c>updatedAt</c> are read-only, accepted
/// and ignored, except an <c>id</c> other than the path's (400). A create refuses an <c>id</c> (the server assigns it).
/// </remarks>
public sealed record CategoryRequest(string? Slug, string? Name, string? Description, long? Id = null, int? Version = null, DateTimeOffset? UpdatedAt = null);

/// <summary>Category writes, each through <see cref="CatalogWrite"/> with a <see cref="CategoryChanged"/> event.</summary>
public static partial class CategoryWriteEndpoints
{
    internal static readonly WriteTarget<Category, CategoryDto> Target = new("Category", "catalog.categories", "/api/categories", ToDto, new Dictionary<string, ConstraintRefusal>
    {
        ["categories_slug_key"] = new(StatusCodes.Status409Conflict, "slug", "another category already has this slug"),
    });

    public static RouteGroupBuilder MapCategoryWrites(this RouteGroupBuilder group)
    {
        group.MapPost("/", CreateAsync).WithName("CreateCategory").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPut("/{id:long}", UpdateAsync).WithName("UpdateCategory").RequireAuthorization(CatalogScopes.Write).RequireRateLimiting(RateLimiting.WritesPolicy)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed).ProducesProblem(StatusCodes.Status428PreconditionRequired);
        group.MapMalformedIds("/{id}", HttpMethods.Put);
        return group;
    }

    internal static Task<Results<Created<CategoryDto>, ValidationProblem, ProblemHttpResult>> CreateAsync([AsParameters] CreateCategory request) =>
        request.Write.CreateAsync(Target, request.Body, static body => Validate(body, replace: false, id: null), static (body, id, now) =>
        {
            var category = new Category { Id = id, Slug = body.Slug!, Name = body.Name!.Trim(), Description = body.Description ?? "", CreatedAt = now, UpdatedAt = now, Version = 1 };
            var changed = new CategoryChanged(id, category.Slug, category.Version, now);
            return (category, new WriteEvents([changed], InvalidationRules.For(changed)));
        });

    internal static Task<Results<Ok<CategoryDto>, ValidationProblem, ProblemHttpResult>> UpdateAsync([AsParameters] UpdateCategory request) =>
        request.Write.UpdateAsync(Target, request.Id, request.IfMatch, request.Body, body => Validate(body, replace: true, request.Id), static (category, body, now) =>
        {
            category.Slug = body.Slug!;
            category.Name = body.Name!.Trim();
            category.Description = body.Description!;
            category.UpdatedAt = now;
            var changed = new CategoryChanged(category.Id, category.Slug, category.Version, now);
            return new WriteEvents([changed], InvalidationRules.For(changed));
        });

    /// <param name="replace">A PUT: <c>description</c>, which a create defaults, is required too.</param>
    /// <param name="id">The path's id (a PUT), or null (a create).</param>
    private static Dictionary<string, string[]> Validate(CategoryRequest request, bool replace, long? id)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.Id is { } bodyId && bodyId != id)
        {
            errors["id"] = [id is null ? "is assigned by the server: leave it out" : $"must be {id}, the id in the path, or left out (it is read-only)"];
        }

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

        if (request.Description is null && replace)
        {
            errors["description"] = ["is required (send \"\" for none)"];
        }
        else if (request.Description is { Length: > 1000 })
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

    internal sealed record CreateCategory([FromBody] CategoryRequest? Body, CatalogWrite Write);

    internal sealed record UpdateCategory(long Id, [FromHeader(Name = "If-Match")] string? IfMatch, [FromBody] CategoryRequest? Body, CatalogWrite Write);

    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    private static partial Regex SlugFormat();
}
