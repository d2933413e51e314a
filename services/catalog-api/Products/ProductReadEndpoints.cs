using System.Globalization;
using Catalog.Api.Categories;
using Catalog.Api.Http;
using Npgsql;
using Platform.Contracts.Caching;
using Platform.Hosting.Errors;

namespace Catalog.Api.Products;

/// <summary>Cached product reads: lists with keyset pagination, and one product by id.</summary>
public static class ProductReadEndpoints
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static RouteGroupBuilder MapProductReads(this RouteGroupBuilder group)
    {
        group.MapGet("/", ListAsync).WithName("ListProducts")
            .Produces<ProductPage>(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:long}", GetAsync).WithName("GetProduct")
            .Produces<ProductDto>(StatusCodes.Status200OK).Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesValidationProblem();
        group.MapMalformedIds("/{id}", HttpMethods.Get, HttpMethods.Put, HttpMethods.Delete);
        group.MapMalformedIds("/{id}/views", HttpMethods.Post);
        return group;
    }

    internal static async Task<IResult> ListAsync(
        HttpContext context, NpgsqlDataSource db, CachedJson cached, CategoryDirectory categories,
        string? category, string? sort, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (!ProductSorts.TryParse(sort, out var order))
        {
            errors["sort"] = [$"must be one of: {ProductSorts.Allowed}"];
        }

        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            errors["limit"] = [$"must be a whole number from 1 to {MaxLimit}"];
        }

        ProductCursor? after = null;
        if (!string.IsNullOrEmpty(cursor) && !errors.ContainsKey("sort") && !ProductCursor.TryDecode(cursor, order, out after, out var cursorError))
        {
            errors["cursor"] = [cursorError];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors, "Invalid list parameters");
        }

        long? categoryId = null;
        if (!string.IsNullOrEmpty(category))
        {
            categoryId = await categories.ResolveAsync(category, cancellationToken);
            if (categoryId is null)
            {
                return Problems.NotFound("Category", category);
            }
        }

        var key = CacheNames.ProductListPage(categoryId, ProductSorts.Name(order), pageSize, cursor);
        string[] tags = categoryId is { } c ? [CacheNames.AllProductLists, CacheNames.CategoryTag(c)] : [CacheNames.AllProductLists, CacheNames.AllCategoriesProductLists];
        var payload = await cached.GetAsync(key, tags, (db, categoryId, order, pageSize, after), static async (s, ct) =>
            CachedJson.Build(await ProductQueries.ListAsync(s.db, s.categoryId, s.order, s.pageSize, s.after, ct)), cancellationToken);
        payload!.Link ??= NextLink(payload.Utf8Json, categoryId, order, pageSize);
        if (payload.Link.Length > 0)
        {
            context.Response.Headers.Link = payload.Link;
        }

        return cached.Write(context, payload);
    }

    /// <summary>
    /// <c>Link: &lt;/api/products?…&amp;cursor=…&gt;; rel="next"</c> (RFC 8288) from the page's <c>nextCursor</c>, or "" on the
    /// last page. The cursor is read from the end of the bytes (it is the page's last member and base64url, never
    /// escaped), so a hit on an entry made elsewhere needs no JSON parse.
    /// </summary>
    internal static string NextLink(ReadOnlySpan<byte> page, long? categoryId, ProductSort order, int pageSize)
    {
        var member = "\"nextCursor\":\""u8;
        var at = page.LastIndexOf(member);
        if (at < 0)
        {
            return "";
        }

        var value = page[(at + member.Length)..];
        var end = value.IndexOf((byte)'"');
        if (end <= 0)
        {
            return "";
        }

        var cursor = System.Text.Encoding.ASCII.GetString(value[..end]);
        var category = categoryId is { } c ? string.Create(CultureInfo.InvariantCulture, $"category={c}&") : "";
        return string.Create(CultureInfo.InvariantCulture, $"</api/products?{category}sort={ProductSorts.Name(order)}&limit={pageSize}&cursor={cursor}>; rel=\"next\"");
    }

    internal static async Task<IResult> GetAsync(HttpContext context, long id, NpgsqlDataSource db, CachedJson cached, CancellationToken cancellationToken)
    {
        var payload = await cached.GetAsync(CacheNames.Product(id), [CacheNames.ProductTag(id)], (db, id), static async (s, ct) =>
            await ProductQueries.GetAsync(s.db, s.id, ct) is { } product ? CachedJson.Build(product, ETags.ForVersion(product.Version)) : null, cancellationToken);
        if (payload is null)
        {
            return Problems.NotFound("Product", id);
        }

        return cached.Write(context, payload);
    }
}
