using System.CommandLine;
using Catalog.Api.Seeding;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Connections;
using Platform.Hosting.Migrations;

namespace Catalog.Api;

/// <summary>Verbs of the catalog-api binary: <c>migrate</c> and <c>seed</c>.</summary>
public static class CatalogCommands
{
    public const string ServiceName = "catalog-api";
    public const string Schema = "catalog";

    public static Task<int> RunAsync(string[] args)
    {
        var root = new RootCommand("catalog-api: the catalog HTTP API and its outbox relay. Run without a verb to serve HTTP.")
        {
            MigrateCommand.Create(ServiceName, Schema, typeof(CatalogCommands).Assembly),
            SeedCommand(),
        };
        return PlatformCommandLine.InvokeAsync(root, args);
    }

    private static Command SeedCommand()
    {
        var categories = new Option<int>("--categories") { Description = "Number of demo categories (1-500)", DefaultValueFactory = _ => 50 };
        var products = new Option<int>("--products") { Description = "Number of demo products (0-1,000,000)", DefaultValueFactory = _ => 20_000 };
        categories.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 500)
            {
                r.AddError("--categories must be between 1 and 500");
            }
        });
        products.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 0 or > 1_000_000)
            {
                r.AddError("--products must be between 0 and 1000000");
            }
        });

        var command = new Command("seed", "Insert deterministic demo data (idempotent: existing slugs and skus are kept).") { categories, products };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var builder = PlatformCommandLine.CreateBuilder(ServiceName);
            builder.AddPlatformPostgres();
            builder.Services.AddSingleton<DemoSeeder>();
            return await PlatformCommandLine.RunAsync(builder, async (services, ct) =>
            {
                var (c, p) = await services.GetRequiredService<DemoSeeder>()
                    .SeedAsync(parse.GetValue(categories), parse.GetValue(products), ct);
                Console.WriteLine($"{ServiceName}: seeded {c} new categories, {p} new products");
                return 0;
            }, cancellationToken);
        });
        return command;
    }
}
