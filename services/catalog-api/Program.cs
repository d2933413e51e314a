using Catalog.Api;
using Platform.Hosting;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Configuration;

if (PlatformCommandLine.IsCommand(args))
{
    return await CatalogCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults(CatalogCommands.ServiceName);
builder.AddCatalog();

var app = builder.Build();
if (!app.HasValidConfiguration())
{
    return StartupValidation.ConfigurationErrorExitCode;
}

app.UsePlatformDefaults();
app.MapCatalogApi();

await app.RunAsync();
return 0;

/// <summary>Entry point, public so tests can host the service.</summary>
public partial class Program;
