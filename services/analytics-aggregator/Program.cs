using AnalyticsAggregator;
using Platform.Hosting;
using Platform.Hosting.CommandLine;
using Platform.Hosting.Configuration;

if (PlatformCommandLine.IsCommand(args))
{
    return await AnalyticsAggregatorCommands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddPlatformDefaults(AnalyticsAggregatorCommands.ServiceName);
builder.AddAnalyticsAggregator();

var app = builder.Build();
if (!app.HasValidConfiguration())
{
    return StartupValidation.ConfigurationErrorExitCode;
}

app.UsePlatformDefaults();
app.MapAnalyticsAggregator();

await app.RunAsync();
return 0;

/// <summary>Entry point, public so tests can host the service.</summary>
public partial class Program;
