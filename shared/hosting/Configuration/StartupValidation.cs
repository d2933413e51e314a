using Microsoft.Extensions.Options;

namespace Platform.Hosting.Configuration;

/// <summary>Runs the <c>ValidateOnStart</c> validators up front and reports failures on one line.</summary>
public static class StartupValidation
{
    /// <summary>sysexits.h EX_CONFIG: the configuration is wrong, restarting will not help.</summary>
    public const int ConfigurationErrorExitCode = 78;

    public static bool TryValidate(IServiceProvider services, string serviceName)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return true;
        }
        catch (Exception e) when (Failures(e) is { Count: > 0 } failures)
        {
            Console.Error.WriteLine($"{serviceName}: configuration error: {string.Join("; ", failures)}");
            return false;
        }
    }

    internal static List<string> Failures(Exception e) => e switch
    {
        OptionsValidationException o => [.. o.Failures],
        AggregateException a => [.. a.InnerExceptions.SelectMany(Failures)],
        _ => [],
    };
}
