using System.Text.Json;
using Catalog.Api.Http;
using Catalog.Api.Products;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Platform.Hosting;

namespace Catalog.Api.Writes;

/// <summary>
/// The write path's share of the warm-up (before the node reports ready): a product update through the very pipeline a
/// PUT runs (<see cref="CatalogWrite"/>: validation, load, If-Match, both product events into the outbox, one
/// SaveChanges, the eviction) inside a transaction that is rolled back, and the PUT's body and answer through the API's
/// JSON options; <see cref="WarmUpOptions.Rounds"/> times, each in a scope of its own as a request would be.
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
    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var rounds = Math.Max(1, services.GetRequiredService<IOptions<WarmUpOptions>>().Value.Rounds);
        for (var round = 0; round < rounds; round++)
        {
            await UpdateOnceAsync(services, cancellationToken);
        }
    }

    private static async Task UpdateOnceAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        var write = (await CatalogWrite.BindAsync(context))!;
        await using var transaction = await write.Db.Database.BeginTransactionAsync(cancellationToken);
        var product = await write.Db.Products.AsNoTracking().OrderBy(p => p.Id).FirstOrDefaultAsync(cancellationToken);
        if (product is null)
        {
            // An empty catalog: nothing to update, and nothing a client could update either.
            return;
        }

        var json = scope.ServiceProvider.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        // The body a client sends back after a GET, with the price changed too so both product events are written.
        var body = JsonSerializer.Deserialize<UpdateProductRequest>(JsonSerializer.Serialize(ProductWriteEndpoints.ToDto(product), json), json)! with
        {
            Description = product.Description.Length < 2000 ? product.Description + " " : product.Description[..^1],
            Price = product.Price >= ProductRules.MaxPrice ? product.Price - 0.01m : product.Price + 0.01m,
        };
        var request = new ProductWriteEndpoints.UpdateProduct(product.Id, ETags.ForVersion(product.Version), body, write);
        var result = (await ProductWriteEndpoints.UpdateAsync(request)).Result;
        if (result is not Ok<ProductDto> { Value: { } updated })
        {
            // Reported as a warm-up failure (the node still becomes ready): a refusal here means the write path is broken.
            throw new InvalidOperationException($"the warm-up update of product {product.Id} was refused: {(result as IStatusCodeHttpResult)?.StatusCode}");
        }

        _ = JsonSerializer.SerializeToUtf8Bytes(updated, json);
        await transaction.RollbackAsync(cancellationToken);
    }
}
