using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Catalog.Api.Categories;

public static class CategoryEndpoints
{
    public static RouteGroupBuilder MapCategories(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/categories").WithTags("Categories");
        group.MapGet("/", ListAsync).WithName("ListCategories");
        return group;
    }

    internal static async Task<Ok<ListResponse<CategoryDto>>> ListAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        var items = await CategoryQueries.ListAsync(db, cancellationToken);
        return TypedResults.Ok(new ListResponse<CategoryDto>(items));
    }
}

public sealed record CategoryDto(long Id, string Slug, string Name, string Description, int Version, DateTimeOffset UpdatedAt);

public sealed record ListResponse<T>(IReadOnlyList<T> Items);
