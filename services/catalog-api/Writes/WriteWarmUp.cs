using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Catalog.Api.Data;
using Catalog.Api.Http;
using Catalog.Api.Products;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Hosting;
using Platform.Hosting.Security;

namespace Catalog.Api.Writes;

/// <summary>
/// The write path's share of the warm-up (before the node reports ready): a product update through the very pipeline a
/// PUT runs (<see cref="CatalogWrite"/>: validation, load, If-Match, both product events into the outbox, one
/// SaveChanges, the eviction) inside a transaction that is rolled back, through the endpoint's own request delegate (the
/// body's binding and the answer's JSON too); <see cref="WarmUpOptions.Rounds"/> times, each in a scope of its own as
/// a request would be.
/// </summary>
/// <remarks>
/// Measured (issue #16 item 5): with only an EF Core update warmed, a node's first PUT after ready took 170–260 ms
/// against ~10 ms later; with this pipeline run once, the first two PUTs still took ~50 and ~80 ms (the time goes
/// before the first statement, in loading the row, on the second and third use); three runs bring the first PUT to
/// ~25 ms and the next ones to steady state. Nothing is kept: the row, its outbox messages and their NOTIFY go with the
/// rollback, so no event is published. The eviction is real — the product's item and its category's lists are dropped
/// on every node, once per round and node start — which costs those entries one rebuild and never serves anything
/// stale (an eviction can only make a read fresher).
/// </remarks>
internal static class WriteWarmUp
{
    private const string UpdateEndpoint = "UpdateProduct";

    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var rounds = Math.Max(1, services.GetRequiredService<IOptions<WarmUpOptions>>().Value.Rounds);
        for (var round = 0; round < rounds; round++)
        {
            await UpdateOnceAsync(services, cancellationToken);
            await CommitNothingAsync(services, cancellationToken);
        }
    }

    // The commit's own code (EF Core's and Npgsql's), which the rolled-back updates never reach: an empty transaction.
    private static async Task CommitNothingAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task UpdateOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await FirstProductAsync(db, cancellationToken) is not { } product)
        {
            // An empty catalog: nothing to update, and nothing a client could update either.
            return;
        }

        // The endpoint's own request delegate (binding, handler, result), as routing would call it after the
        // authentication, authorization and rate-limit middleware: it takes the write's DbContext from the request's
        // services, which are this scope's, so SaveChanges joins the transaction rolled back below.
        var endpoint = services.GetRequiredService<EndpointDataSource>().Endpoints
            .FirstOrDefault(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName == UpdateEndpoint)
            ?? throw new InvalidOperationException($"no endpoint named {UpdateEndpoint}");
        var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        // The body a client sends back after a GET, with the price changed too so both product events are written.
        var bytes = JsonSerializer.SerializeToUtf8Bytes(ProductWriteEndpoints.ToDto(product) with
        {
            Description = product.Description.Length < 2000 ? product.Description + " " : product.Description[..^1],
            Price = product.Price >= ProductRules.MaxPrice ? product.Price - 0.01m : product.Price + 0.01m,
        }, json);
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        context.Request.Method = HttpMethods.Put;
        context.Request.Path = $"/api/products/{product.Id}";
        context.Request.RouteValues["id"] = product.Id.ToString(CultureInfo.InvariantCulture);
        context.Request.Headers.IfMatch = ETags.ForVersion(product.Version);
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);
        context.Features.Set<IHttpRequestBodyDetectionFeature>(new HasBody());
        context.Response.Body = new MemoryStream();
        context.SetEndpoint(endpoint);
        await endpoint.RequestDelegate!(context);
        if (context.Response.StatusCode != StatusCodes.Status200OK)
        {
            // Reported as a warm-up failure (the node still becomes ready): a refusal here means the write path is broken.
            throw new InvalidOperationException($"the warm-up update of product {product.Id} was refused: {context.Response.StatusCode} {Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray())}");
        }

        await transaction.RollbackAsync(cancellationToken);
    }

    /// <summary>
    /// A PUT of the first product sent to the node itself with a write key and an outdated If-Match: it goes through what
    /// the in-process update skips (Kestrel reading the body, the key's authentication, the write policy's authorization,
    /// the writes rate limit: one token of the key's bucket per round) and ends in 412 after loading the row, so nothing
    /// changes. Measured: a node's first PUT after ready compiled ~70 methods of those the first time (19–26 ms).
    /// Null (skipped) when the catalog is empty or no configured key may write.
    /// </summary>
    public static async Task<HttpRequestMessage?> StalePutAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var key = services.GetRequiredService<IOptions<ApiKeyOptions>>().Value.ApiKeys
            .FirstOrDefault(k => k.Scopes.Contains(CatalogScopes.Write) && k.Key.Length > 0);
        if (key is null)
        {
            return null;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<CatalogDbContext>();
        if (await FirstProductAsync(db, cancellationToken) is not { } product)
        {
            return null;
        }

        var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var request = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{product.Id}")
        {
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(ProductWriteEndpoints.ToDto(product), json)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(ApiKeyOptions.HeaderName, key.Key);
        request.Headers.TryAddWithoutValidation("If-Match", ETags.ForVersion(product.Version - 1));
        return request;
    }

    // The product both warm-up writes use: the first by id, read as a client's GET would have it.
    private static Task<Product?> FirstProductAsync(CatalogDbContext db, CancellationToken cancellationToken) =>
        db.Products.AsNoTracking().OrderBy(p => p.Id).FirstOrDefaultAsync(cancellationToken);

    // What Kestrel says of a request with Content-Length; without it the binding takes the body as absent.
    private sealed class HasBody : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => true;
    }
}
