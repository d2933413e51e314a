using System.Globalization;
using Microsoft.Extensions.Configuration;

// The whole platform under .NET Aspire, on the ports `./platform up` uses, watched in the Aspire dashboard.
// PostgreSQL, Redis and RabbitMQ are the servers `./platform servers` starts (no Docker engine here): they come in as
// connection strings, and every service's `migrate` verb and the catalog's `seed` run once before the nodes start.
// The services are the rows of infra/services.tsv, the list ./platform and the test fixtures read too.
// Started by `./platform up --aspire`, which passes each service's own connection strings and key.
var builder = DistributedApplication.CreateBuilder(args);

// The admin connection strings, used by a service only when no connection string of its own is given (the AppHost test,
// which isolates the services in a database of its own). ./platform up --aspire gives each service its own user on
// every server, as ./platform up does: ConnectionStrings:{user}-{server} (user = the schema it owns, infra/services.tsv).
string[] servers = ["Postgres", "Redis", "RabbitMq"];
var connections = new Dictionary<string, IResourceBuilder<IResourceWithConnectionString>>();

// Each service receives only the keys its own endpoints check (catalog: writes; invalidator: ops).
// The same key names and scopes as ./platform up gives them (service_env).
var keys = new Dictionary<string, (string Name, string[] Scopes, IResourceBuilder<ParameterResource> Key)>
{
    ["Catalog.Api"] = ("catalog-writer", ["catalog:write"], builder.AddParameter("catalog-write-key", secret: true)),
    ["CacheInvalidator"] = ("ops", ["ops:admin", "cache:invalidate"], builder.AddParameter("ops-api-key", secret: true)),
};

var root = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", ".."));
// Defaults are what ./platform up does; the AppHost test moves the ports, seeds less and isolates the services.
var portOffset = builder.Configuration.GetValue("Platform:PortOffset", 0);
var seedCategories = builder.Configuration.GetValue("Platform:SeedCategories", 50);
var seedProducts = builder.Configuration.GetValue("Platform:SeedProducts", 20_000);
// Settings for every service, as configuration keys (e.g. Services:Cache:KeyPrefix → Cache__KeyPrefix).
var serviceSettings = builder.Configuration.GetSection("Services").AsEnumerable(makePathsRelative: true)
    .Where(setting => setting.Value is not null)
    .ToDictionary(setting => setting.Key.Replace(":", "__", StringComparison.Ordinal), setting => setting.Value!);
#if DEBUG
const string Configuration = "Debug";
#else
const string Configuration = "Release";
#endif
var migrated = new Dictionary<string, IResourceBuilder<ExecutableResource>>();
IResourceBuilder<ExecutableResource>? seed = null;
foreach (var service in PlatformServices.Read(Path.Combine(root, "infra", "services.tsv")))
{
    // The binaries the AppHost's build made (its project references), run as they are: a project resource would
    // `dotnet run` each node, building the project again per node at every start, two catalog nodes at once.
    var output = Path.Combine(root, service.Folder, "bin", Configuration, "net10.0");
    var dll = service.Assembly + ".dll";
    if (!migrated.TryGetValue(service.Assembly, out var migrate))
    {
        migrate = Configure(builder.AddExecutable($"{service.Schema}-migrate", "dotnet", output, dll, "migrate"), service, "migrate");
        migrated[service.Assembly] = migrate;
        if (service.Schema == "catalog")
        {
            seed = Configure(builder.AddExecutable("catalog-seed", "dotnet", output, dll, "seed",
                    "--categories", seedCategories.ToString(CultureInfo.InvariantCulture), "--products", seedProducts.ToString(CultureInfo.InvariantCulture)), service, "seed")
                .WaitForCompletion(migrate);
        }
    }

    var port = (service.Port + portOffset).ToString(CultureInfo.InvariantCulture);
    var node = Configure(builder.AddExecutable(service.Node, "dotnet", output, dll), service, service.Node)
        .WithHttpEndpoint(port: service.Port + portOffset, isProxied: false)
        .WithEnvironment("ASPNETCORE_URLS", "http://127.0.0.1:" + port)
        .WithHttpHealthCheck("/health/ready")
        .WaitForCompletion(migrate);
    if (seed is not null && service.Schema == "catalog")
    {
        node.WaitForCompletion(seed);
    }
}

builder.Build().Run();

IResourceBuilder<ExecutableResource> Configure(IResourceBuilder<ExecutableResource> resource, PlatformService service, string nodeName)
{
    resource
        .WithOtlpExporter()
        .WithEnvironment("Service__NodeName", nodeName)
        // As under ./platform up: production settings, not the project's launch profile.
        .WithEnvironment("DOTNET_ENVIRONMENT", "Production")
        .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production");
    foreach (var server in servers)
    {
        // The analytics aggregator has no Redis user (it does not use Redis): it gets no Redis connection string.
        if (Connection(service.Schema, server) is { } connection)
        {
            resource.WithReference(connection, server);
        }
    }

    foreach (var (name, value) in serviceSettings)
    {
        resource.WithEnvironment(name, value);
    }

    if (keys.TryGetValue(service.Assembly, out var key))
    {
        resource
            .WithEnvironment("Auth__ApiKeys__0__Name", key.Name)
            .WithEnvironment("Auth__ApiKeys__0__Key", key.Key);
        for (var i = 0; i < key.Scopes.Length; i++)
        {
            resource.WithEnvironment($"Auth__ApiKeys__0__Scopes__{i}", key.Scopes[i]);
        }
    }

    return resource;
}

// The service's own connection string to a server when one is configured, else the shared one; null when per-service
// ones are configured but this service has none for that server.
IResourceBuilder<IResourceWithConnectionString>? Connection(string user, string server)
{
    var name = $"{user}-{server.ToLowerInvariant()}";
    if (connections.TryGetValue(name, out var own))
    {
        return own;
    }

    if (builder.Configuration.GetConnectionString(name) is { Length: > 0 })
    {
        return connections[name] = builder.AddConnectionString(name);
    }

    var perService = builder.Configuration.GetSection("ConnectionStrings").GetChildren()
        .Any(child => child.Key.EndsWith("-" + server.ToLowerInvariant(), StringComparison.Ordinal));
    if (perService)
    {
        return null;
    }

    return connections.TryGetValue(server, out var shared) ? shared : connections[server] = builder.AddConnectionString(server);
}

/// <summary>One row of infra/services.tsv: node, HTTP port, project folder, assembly, database schema.</summary>
internal sealed record PlatformService(string Node, int Port, string Folder, string Assembly, string Schema);

internal static class PlatformServices
{
    public static IReadOnlyList<PlatformService> Read(string path) =>
        [.. File.ReadLines(path)
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .Select(line => line.Split('\t'))
            .Select(f => new PlatformService(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), f[2], f[3], f[4]))];
}
