using Catalog.Api.Http;

namespace Catalog.Api.Categories;

public static class CategoryEndpoints
{
    public static RouteGroupBuilder MapCategories(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/categories").WithTags("Categories");
        group.MapGet("/", ListAsync).WithName("ListCategories")
            .Produces<ListResponse<CategoryDto>>(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified);
        return group;
    }

    internal static async Task<IResult> ListAsync(HttpContext context, CategoryDirectory categories, CachedJson cached, CancellationToken cancellationToken) =>
        cached.Write(context, (await categories.GetListAsync(cancellationToken))!);
}

public sealed record CategoryDto(long Id, string Slug, string Name, string Description, int Version, DateTimeOffset UpdatedAt);

public sealed record ListResponse<T>(IReadOnlyList<T> Items);
