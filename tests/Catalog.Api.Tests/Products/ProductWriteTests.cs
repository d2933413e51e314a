using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Catalog.Api.Products;

namespace Catalog.Api.Tests.Products;

public sealed class ProductWriteTests(SeededCatalogFixture fixture) : IClassFixture<SeededCatalogFixture>
{
    private static object NewProduct(string sku, decimal price = 12.5m, long categoryId = 1) =>
        new { sku, name = "Test lamp", description = "Bright", categoryId, price, currency = "EUR", status = "active" };

    /// <summary>A whole PUT body: a PUT replaces the product's state, so every field is sent.</summary>
    private static Dictionary<string, object?> Replacement(string name, decimal price = 12.5m, long categoryId = 1) =>
        new() { ["name"] = name, ["description"] = "Bright", ["categoryId"] = categoryId, ["price"] = price, ["currency"] = "EUR", ["status"] = "active" };

    private static string Sku() => "T-" + Guid.NewGuid().ToString("N")[..12].ToUpperInvariant();

    private static HttpRequestMessage Put(long id, object body, string? ifMatch)
    {
        var put = new HttpRequestMessage(HttpMethod.Put, $"/api/products/{id}") { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            put.Headers.IfMatch.ParseAdd(ifMatch);
        }

        return put;
    }

    private async Task<ProductDto> CreateAsync(HttpClient client, decimal price = 12.5m, long categoryId = 1) =>
        (await (await client.PostAsJsonAsync("/api/products", NewProduct(Sku(), price, categoryId))).Content.ReadFromJsonAsync<ProductDto>())!;

    private Task<List<string>> EventsForAsync(long productId) => fixture.ListAsync(
        $"SELECT message_type FROM catalog.outbox WHERE payload->>'productId' = '{productId}' ORDER BY id");

    [Fact]
    public async Task CreateReturns201WithLocationAndWritesProductCreatedInTheSameTransaction()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);

        var response = await client.PostAsJsonAsync("/api/products", NewProduct(Sku()));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<ProductDto>();
        Assert.Equal($"/api/products/{created!.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal("\"v1\"", response.Headers.ETag?.Tag);
        Assert.Equal(["catalog.product-created.v1"], await EventsForAsync(created.Id));
    }

    [Fact]
    public async Task DuplicateSkuIsA409AndWritesNoEvent()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var sku = Sku();
        await client.PostAsJsonAsync("/api/products", NewProduct(sku));
        var outboxBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox");

        var response = await client.PostAsJsonAsync("/api/products", NewProduct(sku));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("sku", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(outboxBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM catalog.outbox"));
    }

    [Theory]
    [InlineData("""{"sku":"bad sku","name":"x","categoryId":1,"price":1}""", "sku")]
    [InlineData("""{"sku":"OK-123","name":"","categoryId":1,"price":1}""", "name")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":1,"price":-1}""", "price")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":1,"price":1.234}""", "price")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":1,"price":1e20}""", "price")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":987654,"price":1}""", "categoryId")]
    [InlineData("""{"sku":"OK-123","name":"x","price":1}""", "categoryId")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":1,"price":1,"currency":"euro"}""", "currency")]
    [InlineData("""{"sku":"OK-123","name":"x","categoryId":1,"price":1,"status":"sold"}""", "status")]
    [InlineData("""{"sku":"OK-123","name":"a\u0000b","categoryId":1,"price":1}""", "name")]
    public async Task InvalidBodyIsA400NamingTheField(string body, string field)
    {
        await using var node = fixture.StartNode();

        var response = await CatalogFixture.Writer(node).PostAsync(new Uri("/api/products", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
    }

    [Theory]
    [InlineData("{\"sku\": ")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"sku\":\"OK-1234\",\"name\":\"x\",\"categoryId\":\"one\",\"price\":1}")]
    [InlineData("{\"sku\":\"OK-1234\",\"name\":\"x\",\"categoryId\":1,\"price\":1,\"unknown\":true}")]
    [InlineData("")]
    public async Task MalformedJsonIsA400ProblemNeverA500(string body)
    {
        await using var node = fixture.StartNode();

        var response = await CatalogFixture.Writer(node).PostAsync(new Uri("/api/products", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task OversizedBodyIsA413()
    {
        // The body limit is Kestrel's: run this node on real Kestrel instead of the in-memory test server.
        await using var node = fixture.StartNode();
        node.UseKestrel(0);
        node.StartServer();
        var huge = JsonSerializer.Serialize(new { sku = "OK-1234", name = "x", description = new string('d', 400_000), categoryId = 1, price = 1 });

        var response = await CatalogFixture.Writer(node).PostAsync(new Uri("/api/products", UriKind.Relative), new StringContent(huge, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task UpdateWithoutIfMatchIs428AndChangesNothing()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await CreateAsync(client);

        using var put = Put(created.Id, Replacement("no precondition"), ifMatch: null);
        var response = await client.SendAsync(put);

        Assert.Equal((HttpStatusCode)428, response.StatusCode);
        Assert.Equal(1, await fixture.ScalarAsync<int>($"SELECT version FROM catalog.products WHERE id = {created.Id}"));
    }

    [Fact]
    public async Task UpdateWithAStaleVersionIs412AndChangesNothing()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await CreateAsync(client);
        using var first = Put(created.Id, Replacement("renamed"), "\"v1\"");
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(first)).StatusCode);

        using var stale = Put(created.Id, Replacement("lost update", price: 1m), "\"v1\"");
        var response = await client.SendAsync(stale);

        Assert.Equal(HttpStatusCode.PreconditionFailed, response.StatusCode);
        Assert.Equal("\"v2\"", response.Headers.ETag?.Tag);
        var current = await CatalogFixture.GetJsonAsync<ProductDto>(node.CreateClient(), $"/api/products/{created.Id}");
        Assert.Equal("renamed", current.Name);
    }

    [Theory]
    [InlineData("name")]
    [InlineData("description")]
    [InlineData("categoryId")]
    [InlineData("price")]
    [InlineData("currency")]
    [InlineData("status")]
    public async Task UpdateMissingAFieldIs400NamingItAndChangesNothing(string field)
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await CreateAsync(client);
        var body = Replacement("partial");
        body.Remove(field);

        using var put = Put(created.Id, body, "\"v1\"");
        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), $"errors should name '{field}': {problem}");
        var current = await CatalogFixture.GetJsonAsync<ProductDto>(node.CreateClient(), $"/api/products/{created.Id}");
        Assert.Equal(("Test lamp", "Bright", 1), (current.Name, current.Description, current.Version));
    }

    [Fact]
    public async Task UpdateToACategoryThatDoesNotExistIs400NamingCategoryId()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await CreateAsync(client);

        using var put = Put(created.Id, Replacement("moved nowhere", categoryId: 987654), "\"v1\"");
        var response = await client.SendAsync(put);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty("categoryId", out _), problem.ToString());
        Assert.Equal(["catalog.product-created.v1"], await EventsForAsync(created.Id));
    }

    [Fact]
    public async Task UpdateBumpsTheVersionAndRecordsUpdatedAndPriceChangedWithThePreviousCategory()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await CreateAsync(client, price: 10m, categoryId: 1);
        using var update = Put(created.Id, Replacement("moved", price: 11m, categoryId: 2), "\"v1\"");

        var response = await client.SendAsync(update);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("\"v2\"", response.Headers.ETag?.Tag);
        var updated = await response.Content.ReadFromJsonAsync<ProductDto>();
        Assert.Equal(2, updated!.Version);
        Assert.Equal(["catalog.product-created.v1", "catalog.product-updated.v1", "catalog.product-price-changed.v1"], await EventsForAsync(created.Id));
        Assert.Equal("1", await fixture.ScalarAsync<string>($"SELECT payload->>'previousCategoryId' FROM catalog.outbox WHERE payload->>'productId' = '{created.Id}' AND message_type = 'catalog.product-updated.v1'"));
    }

    [Fact]
    public async Task ACreateThatFailsAtCommitLeavesNeitherTheProductNorItsEvent()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var sku = Sku();
        // The outbox insert fails for this sku only (a real PostgreSQL failure, after the product's insert in the same
        // write): what was written before it must roll back with it.
        await fixture.ScalarAsync<object>($$"""
            CREATE FUNCTION catalog.fail_outbox_{{sku.Replace('-', '_')}}() RETURNS trigger LANGUAGE plpgsql AS $f$
            BEGIN
                IF NEW.payload->>'sku' = '{{sku}}' THEN RAISE EXCEPTION 'forced outbox failure'; END IF;
                RETURN NEW;
            END $f$;
            CREATE TRIGGER fail_outbox_{{sku.Replace('-', '_')}} BEFORE INSERT ON catalog.outbox
                FOR EACH ROW EXECUTE FUNCTION catalog.fail_outbox_{{sku.Replace('-', '_')}}();
            SELECT 1;
            """);

        var response = await client.PostAsJsonAsync("/api/products", NewProduct(sku));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(0L, await fixture.ScalarAsync<long>($"SELECT count(*) FROM catalog.products WHERE sku = '{sku}'"));
        Assert.Equal(0L, await fixture.ScalarAsync<long>($"SELECT count(*) FROM catalog.outbox WHERE payload->>'sku' = '{sku}'"));
    }

    [Fact]
    public async Task ACreateWritesTheProductAndItsEventInOneStatementBatch()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);

        var sql = await fixture.SqlDuringAsync(() => client.PostAsJsonAsync("/api/products", NewProduct(Sku())));

        // One SaveChanges: the id comes from the sequence first, so the event carries it in the product's own batch.
        var inserts = sql.Where(text => text.Contains("INSERT", StringComparison.OrdinalIgnoreCase)).ToList();
        var batch = Assert.Single(inserts);
        Assert.Contains("products", batch, StringComparison.Ordinal);
        Assert.Contains("outbox", batch, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteIs204AndRecordsProductDeleted()
    {
        await using var node = fixture.StartNode();
        var client = CatalogFixture.Writer(node);
        var created = await (await client.PostAsJsonAsync("/api/products", NewProduct(Sku()))).Content.ReadFromJsonAsync<ProductDto>();

        var response = await client.DeleteAsync(new Uri($"/api/products/{created!.Id}", UriKind.Relative));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("catalog.product-deleted.v1", (await EventsForAsync(created.Id)).Last());
        Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync(new Uri($"/api/products/{created.Id}", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task ViewIs202AndRecordsProductViewedWithoutAnApiKey()
    {
        await using var node = fixture.StartNode();

        var response = await node.CreateClient().PostAsync(new Uri("/api/products/7/views", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("catalog.product-viewed.v1", await EventsForAsync(7));
        Assert.Equal(HttpStatusCode.NotFound, (await node.CreateClient().PostAsync(new Uri("/api/products/99999999/views", UriKind.Relative), null)).StatusCode);
    }
}
