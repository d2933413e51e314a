using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Testing;

namespace Platform.EndToEnd.Tests.Consistency;

/// <summary>
/// Concurrent writers and readers on a small hot set of products, through both catalog nodes. Each writer owns a
/// share of the products (so its If-Match versions are its own and every 200 is a new version); readers read items
/// and the category list that holds them. Every outcome goes into the <see cref="ConsistencyHistory"/>.
/// </summary>
internal sealed class Workload(ConsistencyCluster cluster, ConsistencyHistory history, HotSet hot)
{
    private const int Writers = 2;
    private const int Readers = 4;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    // Pacing, not waiting for a condition: keeps the load at a level the 2-core machine carries next to the services.
    private static readonly TimeSpan WritePause = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan ReadPause = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan FailurePause = TimeSpan.FromMilliseconds(50);

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll([
            .. Enumerable.Range(0, Writers).Select(w => Task.Run(() => WriteAsync(w, stop), CancellationToken.None)),
            .. Enumerable.Range(0, Readers).Select(r => Task.Run(() => ReadAsync(r, stop), CancellationToken.None)),
        ]);

    private async Task WriteAsync(int writer, CancellationToken stop)
    {
        var mine = hot.Products.Where((_, i) => i % Writers == writer).ToArray();
        var known = mine.ToDictionary(p => p.Id, p => p.Version);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            var product = mine[i % mine.Length];
            var node = cluster.CatalogNodes[(i + writer) % cluster.CatalogNodes.Count];
            var started = history.NowMs;
            var next = known[product.Id] + 1;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Put, new Uri($"/api/products/{product.Id}", UriKind.Relative))
                {
                    // The whole state (a PUT replaces it): the hot set's own, with the name and price that tell versions apart.
                    Content = JsonContent.Create(new { name = $"Hot {product.Id} v{next}", description = "", categoryId = hot.CategoryId, price = 10m + (next % 1000), currency = "EUR", status = "active" }),
                };
                request.Headers.IfMatch.ParseAdd($"\"v{known[product.Id]}\"");
                request.Headers.Add("X-Api-Key", ConsistencyCluster.WriterKey);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(RequestTimeout);
                using var response = await node.Client.SendAsync(request, timeout.Token);
                var acknowledged = history.NowMs;
                history.Timed(started, $"PUT on {node.Name}: {(int)response.StatusCode}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    var version = (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("version").GetInt32();
                    history.Committed(product.Id, version, acknowledged);
                    known[product.Id] = version;
                }
                else
                {
                    history.WriteFailed(started);
                    known[product.Id] = await hot.VersionInDatabaseAsync(cluster, product.Id);
                }
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                // Outcome unknown (the node died mid-request): it committed or it did not; the database says which.
                history.Timed(started, $"PUT on {node.Name}: {e.GetType().Name}");
                history.WriteFailed(started);
                known[product.Id] = await hot.VersionInDatabaseAsync(cluster, product.Id);
                await PauseAsync(FailurePause, stop);
            }
            await PauseAsync(WritePause, stop);
        }
    }

    private async Task ReadAsync(int reader, CancellationToken stop)
    {
        var random = new Random(reader);
        var listUri = new Uri($"/api/products?category={hot.CategoryId}&sort=name&limit=100", UriKind.Relative);
        while (!stop.IsCancellationRequested)
        {
            var node = cluster.CatalogNodes[random.Next(cluster.CatalogNodes.Count)];
            var list = random.Next(2) == 0;
            var product = hot.Products[random.Next(hot.Products.Count)].Id;
            var started = history.NowMs;
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
                timeout.CancelAfter(RequestTimeout);
                using var response = await node.Client.GetAsync(list ? listUri : new Uri($"/api/products/{product}", UriKind.Relative), timeout.Token);
                var what = $"GET {(list ? "list" : "item")} on {node.Name}";
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    history.Timed(started, $"{what}: {(int)response.StatusCode}");
                    history.ReadFailed(started);
                    await PauseAsync(FailurePause, stop);
                    continue;
                }

                var body = await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token);
                history.Timed(started, $"{what}: 200");
                if (list)
                {
                    foreach (var item in body.GetProperty("items").EnumerateArray())
                    {
                        var id = item.GetProperty("id").GetInt64();
                        if (hot.Contains(id))
                        {
                            history.Observed(id, item.GetProperty("version").GetInt32(), started, node.Name, ReadKind.List);
                        }
                    }
                }
                else
                {
                    history.Observed(product, body.GetProperty("version").GetInt32(), started, node.Name, ReadKind.Item);
                }
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException)
            {
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                history.Timed(started, $"GET {(list ? "list" : "item")} on {node.Name}: {e.GetType().Name}");
                history.ReadFailed(started);
                await PauseAsync(FailurePause, stop);
            }
            await PauseAsync(ReadPause, stop);
        }
    }

    private static async Task PauseAsync(TimeSpan pause, CancellationToken stop)
    {
        try
        {
            await Task.Delay(pause, stop);
        }
        catch (OperationCanceledException)
        {
            // The run is over; the loop condition ends it.
        }
    }
}

/// <summary>The hot products (all active, all in one category) and their versions when the run started.</summary>
internal sealed class HotSet
{
    private readonly HashSet<long> _ids;

    private HotSet(long categoryId, List<HotProduct> products)
    {
        CategoryId = categoryId;
        Products = products;
        _ids = [.. products.Select(p => p.Id)];
    }

    public long CategoryId { get; }

    public IReadOnlyList<HotProduct> Products { get; }

    public bool Contains(long id) => _ids.Contains(id);

    /// <summary>The <paramref name="count"/> lowest-id active products of the category with the most active products.</summary>
    public static async Task<HotSet> ChooseAsync(ConsistencyCluster cluster, int count)
    {
        await using var command = cluster.Database.DataSource.CreateCommand(
            """
            WITH category AS (
                SELECT category_id FROM catalog.products WHERE status = 'active' GROUP BY category_id ORDER BY count(*) DESC, category_id LIMIT 1)
            SELECT p.category_id, p.id, p.version FROM catalog.products p JOIN category c USING (category_id)
            WHERE p.status = 'active' ORDER BY p.id LIMIT @count
            """);
        command.Parameters.AddWithValue("count", count);
        await using var reader = await command.ExecuteReaderAsync();
        var products = new List<HotProduct>();
        long category = 0;
        while (await reader.ReadAsync())
        {
            category = reader.GetInt64(0);
            products.Add(new HotProduct(reader.GetInt64(1), reader.GetInt32(2)));
        }

        return products.Count == count ? new HotSet(category, products) : throw new InvalidOperationException($"the seed has only {products.Count} active products in one category");
    }

    /// <summary>The committed versions of the hot products: the truth every node must converge to.</summary>
    public async Task<Dictionary<long, int>> VersionsInDatabaseAsync(ConsistencyCluster cluster)
    {
        await using var command = cluster.Database.DataSource.CreateCommand("SELECT id, version FROM catalog.products WHERE id = ANY(@ids)");
        command.Parameters.AddWithValue("ids", _ids.ToArray());
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new Dictionary<long, int>();
        while (await reader.ReadAsync())
        {
            versions[reader.GetInt64(0)] = reader.GetInt32(1);
        }

        return versions;
    }

    public async Task<int> VersionInDatabaseAsync(ConsistencyCluster cluster, long id)
    {
        await using var command = cluster.Database.DataSource.CreateCommand("SELECT version FROM catalog.products WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (int)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Where <paramref name="node"/> serves a hot product at another version than <paramref name="versions"/>, as text.</summary>
    public async Task<List<string>> DifferencesAsync(ServiceProcess node, IReadOnlyDictionary<long, int> versions)
    {
        var differences = new List<string>();
        try
        {
            foreach (var (id, version) in versions)
            {
                using var response = await node.Client.GetAsync(new Uri($"/api/products/{id}", UriKind.Relative));
                var item = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (item.GetProperty("version").GetInt32() != version)
                {
                    differences.Add($"item {id}: v{item.GetProperty("version").GetInt32()} served, v{version} committed (ETag {response.Headers.ETag})");
                }
            }

            var page = await node.Client.GetFromJsonAsync<JsonElement>(new Uri($"/api/products?category={CategoryId}&sort=name&limit=100", UriKind.Relative));
            foreach (var p in page.GetProperty("items").EnumerateArray().Where(p => Contains(p.GetProperty("id").GetInt64())))
            {
                var (id, seen) = (p.GetProperty("id").GetInt64(), p.GetProperty("version").GetInt32());
                if (versions.TryGetValue(id, out var version) && seen != version)
                {
                    differences.Add($"list of category {CategoryId}: product {id} v{seen} served, v{version} committed");
                }
            }
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException)
        {
            differences.Add($"cannot read: {e.Message}");
        }

        return differences;
    }

    /// <summary>True when <paramref name="node"/> serves every hot product, as an item and in the category list, at <paramref name="versions"/>.</summary>
    public async Task<bool> ServesAsync(ServiceProcess node, IReadOnlyDictionary<long, int> versions)
    {
        try
        {
            foreach (var (id, version) in versions)
            {
                var item = await node.Client.GetFromJsonAsync<JsonElement>(new Uri($"/api/products/{id}", UriKind.Relative));
                if (item.GetProperty("version").GetInt32() != version)
                {
                    return false;
                }
            }

            var page = await node.Client.GetFromJsonAsync<JsonElement>(new Uri($"/api/products?category={CategoryId}&sort=name&limit=100", UriKind.Relative));
            var listed = page.GetProperty("items").EnumerateArray()
                .Where(p => Contains(p.GetProperty("id").GetInt64()))
                .ToDictionary(p => p.GetProperty("id").GetInt64(), p => p.GetProperty("version").GetInt32());
            return versions.All(v => listed.TryGetValue(v.Key, out var seen) && seen == v.Value);
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException)
        {
            return false;
        }
    }
}

internal sealed record HotProduct(long Id, int Version);
