using System.Net.Http.Json;
using Catalog.Api.Seeding;
using Microsoft.Extensions.Logging.Abstractions;
using Platform.Testing;

namespace Catalog.Api.Tests;

/// <summary>A catalog database of the class's own, and helpers to host catalog nodes over it.</summary>
public sealed class CatalogFixture : ServiceFixture
{
    public ServiceHost<Program> StartNode(string nodeName = "node-a", IReadOnlyDictionary<string, string?>? overrides = null)
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Service:NodeName"] = nodeName };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        return new ServiceHost<Program>(settings);
    }

    public Task<(int Categories, int Products)> SeedAsync(int categories, int products) =>
        new DemoSeeder(Database.DataSource, NullLogger<DemoSeeder>.Instance).SeedAsync(categories, products, CancellationToken.None);

    public static async Task<T> GetJsonAsync<T>(HttpClient client, string path)
    {
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<T>())!;
    }
}
