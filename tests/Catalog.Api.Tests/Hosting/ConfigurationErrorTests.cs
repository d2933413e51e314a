using Platform.Testing;

namespace Catalog.Api.Tests.Hosting;

/// <summary>Runs the real binary: a bad setting must stop it at start with one line naming the key.</summary>
public sealed class ConfigurationErrorTests
{
    [Theory]
    [InlineData("ConnectionStrings__Postgres", "Host=127.0.0.1;Port=notaport", "ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings__Postgres", "", "ConnectionStrings:Postgres")]
    [InlineData("ConnectionStrings__Redis", "", "ConnectionStrings:Redis")]
    [InlineData("ConnectionStrings__RabbitMq", "http://127.0.0.1:56720/", "ConnectionStrings:RabbitMq")]
    [InlineData("Bus__PrefetchCount", "0", "Bus:PrefetchCount")]
    [InlineData("Service__NodeName", "bad node name!", "Service:NodeName")]
    [InlineData("Catalog__ViewsPerSecond", "0", "Catalog:ViewsPerSecond")]
    [InlineData("ForwardedHeaders__KnownProxies__0", "proxy.example", "ForwardedHeaders:KnownProxies:0")]
    public async Task BadSettingStopsTheServiceWithOneLineNamingTheKey(string variable, string value, string key)
    {
        var (exitCode, stdout, stderr) = await RunServiceAsync(new() { [variable] = value });

        Assert.Equal(78, exitCode);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("catalog-api: configuration error: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(key, lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateVerbReportsABadConnectionStringTheSameWay()
    {
        var (exitCode, _, stderr) = await RunServiceAsync(new() { ["ConnectionStrings__Postgres"] = "Host=127.0.0.1;Database=" }, "migrate");

        Assert.Equal(78, exitCode);
        Assert.Contains("ConnectionStrings:Postgres has no Database", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownVerbOptionIsNamed()
    {
        var (exitCode, _, stderr) = await RunServiceAsync([], "seed", "--categorys", "5");

        Assert.Equal(2, exitCode);
        Assert.Contains("--categorys", stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunServiceAsync(Dictionary<string, string> overrides, params string[] args)
    {
        // A complete, valid configuration; each case breaks exactly one setting.
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings__Postgres"] = TestServers.PostgresAdmin,
            ["ConnectionStrings__Redis"] = TestServers.Redis,
            ["ConnectionStrings__RabbitMq"] = TestServers.RabbitMq.ToString(),
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        var run = await ServiceProcess.RunAsync(typeof(Program).Assembly.Location, settings, args);
        return (run.ExitCode, run.Stdout, run.Stderr);
    }
}
