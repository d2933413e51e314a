using CacheInvalidator;
using Platform.Hosting;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Configuration;

if (PlatformCommandLine.IsCommand(args))
{
    return await CacheInvalidatorCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults(CacheInvalidatorCommands.ServiceName);
builder.AddCacheInvalidator();

var app = builder.Build();
if (!app.HasValidConfiguration())
{
    return StartupValidation.ConfigurationErrorExitCode;
}

app.UsePlatformDefaults();
app.MapCacheInvalidator();

await app.RunAsync();
return 0;

/// <summary>Entry point, public so tests can host the service.</summary>
public partial class Program;
