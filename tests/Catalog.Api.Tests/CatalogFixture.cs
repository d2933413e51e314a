using System.Diagnostics;
using System.Net.Http.Json;
using Catalog.Api.Seeding;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Testing;

namespace Catalog.Api.Tests;

/// <summary>A catalog database of the class's own, and helpers to host catalog nodes over it.</summary>
public class CatalogFixture : ServiceFixture
{
    public const string WriterKey = "test-writer-key-0123456789";
    public const string ReaderKey = "test-reader-key-0123456789";

    public ServiceHost<Program> StartNode(string nodeName = "node-a", IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Service:NodeName"] = nodeName,
            ["Auth:ApiKeys:0:Name"] = "writer",
            ["Auth:ApiKeys:0:Key"] = WriterKey,
            ["Auth:ApiKeys:0:Scopes:0"] = "catalog:write",
            ["Auth:ApiKeys:1:Name"] = "reader",
            ["Auth:ApiKeys:1:Key"] = ReaderKey,
            ["Auth:ApiKeys:1:Scopes:0"] = "catalog:read",
            ["RateLimiting:PermitsPerSecond"] = "10000",
            ["RateLimiting:Burst"] = "10000",
            ["Catalog:ViewsPerSecond"] = "10000",
            ["Catalog:ViewsBurst"] = "10000",
            // The bad-input suites send hundreds of wrong keys from one address; the tests of the limit set their own.
            ["Auth:FailedKeyLimit"] = "1000000",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ServiceHost<Program>(settings);
    }

    public static HttpClient Writer(ServiceHost<Program> node)
    {
        var client = node.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", WriterKey);
        return client;
    }

    public Task<(int Categories, int Products)> SeedAsync(int categories, int products) =>
        new DemoSeeder(Database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(categories, products, CancellationToken.None);

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<string>> ListAsync(string sql)
    {
        await using var command = Database.DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    /// <summary>The text of every SQL command (or batch) sent to this fixture's database while <paramref name="action"/> ran.</summary>
    public async Task<List<string>> SqlDuringAsync(Func<Task> action)
    {
        var database = Database.Name;
        var commands = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem("db.namespace") ?? activity.GetTagItem("db.name"), database))
                {
                    commands.Enqueue((activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement"))?.ToString() ?? "");
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await action();
        return [.. commands];
    }

    public static async Task<T> GetJsonAsync<T>(HttpClient client, string path)
    {
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}

/// <summary>A catalog fixture with 20 categories and 2,000 seeded products.</summary>
public sealed class SeededCatalogFixture : CatalogFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(20, 2000);
    }
}

/// <summary>The demo volume of <c>./platform up</c> (50 categories, 20,000 products): query plans are judged on it.</summary>
public sealed class DemoCatalogFixture : CatalogFixture
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await SeedAsync(50, 20_000);
        await ScalarAsync<object>("ANALYZE catalog.products");
    }
}
