using System.CommandLine;
using Microsoft.Extensions.Logging.Console;
using Platform.Hosting.Configuration;

namespace Platform.Hosting.CommandLine;

/// <summary>
/// Verbs of a service binary (<c>migrate</c>, <c>seed</c>, <c>dlq</c> …). A service runs a verb when its first
/// argument is one, and serves HTTP otherwise. Verbs read the same configuration as the service
/// (appsettings.json beside the binary, environment variables) but start no web server.
/// </summary>
public static class PlatformCommandLine
{
    /// <summary>True when the arguments ask for a verb or for help rather than for the web host.</summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0 && (!args[0].StartsWith('-') || args[0] is "-h" or "--help" or "-?" or "--version");

    /// <summary>Host for a verb: configuration, single-line console logging, no web server.</summary>
    public static HostApplicationBuilder CreateBuilder(string serviceName)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = serviceName,
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Npgsql", LogLevel.Warning);
        builder.Services.PostConfigure<SimpleConsoleFormatterOptions>(o => o.TimestampFormat = null);
        builder.Services.AddSingleton(new ServiceName(serviceName));
        builder.Services.AddValidatedOptions<ServiceOptions>(ServiceOptions.Section)
            .PostConfigure(o => o.Name = string.IsNullOrEmpty(o.Name) ? serviceName : o.Name);
        return builder;
    }

    /// <summary>
    /// Builds the host, validates its options (one-line error, exit 78) and runs <paramref name="action"/>
    /// with its services. The host's hosted services are not started.
    /// </summary>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, Func<IServiceProvider, CancellationToken, Task<int>> action, CancellationToken cancellationToken)
    {
        using var host = builder.Build();
        if (!StartupValidation.TryValidate(host.Services, builder.Environment.ApplicationName))
        {
            return StartupValidation.ConfigurationErrorExitCode;
        }

        return await action(host.Services, cancellationToken);
    }

    /// <summary>Exit code of a usage error (bad verb, flag or value), as scripts expect from command-line tools.</summary>
    public const int UsageErrorExitCode = 2;

    /// <summary>Parses and invokes <paramref name="root"/>; bad flags print a message naming them and exit 2.</summary>
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            foreach (var error in result.Errors)
            {
                await Console.Error.WriteLineAsync(error.Message);
            }

            await Console.Error.WriteLineAsync($"Run '{root.Name} --help' for usage.");
            return UsageErrorExitCode;
        }

        return await result.InvokeAsync();
    }
}
