using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Logging;

namespace Platform.Testing;

/// <summary>
/// A service hosted in the test process on the test server, configured from a <see cref="ServiceFixture"/>
/// plus per-test overrides. Several hosts of one service over the same fixture act as nodes of one cluster.
/// </summary>
public sealed class ServiceHost<TProgram>(IReadOnlyDictionary<string, string?> settings) : WebApplicationFactory<TProgram>
    where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Test output shows warnings and errors only; Information from many hosts drowns the failures.
        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        // In-process nodes start by the dozen and some tests count a request's SQL statements: no warm-up unless a
        // test asks for it (WarmUpTests do; ServiceProcess nodes warm up as ./platform's do).
        builder.UseSetting("Service:WarmUp:Enabled", "false");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
