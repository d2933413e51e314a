using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;
using Platform.Hosting.Connections;

namespace Platform.Hosting.Tests.Configuration;

public sealed class OptionsValidationTests
{
    [Fact]
    public void FailureNamesTheSectionAndKey()
    {
        var failures = Validate<SampleOptions>("Sample", new() { ["Sample:Port"] = "70000" });

        Assert.Equal(["Sample:Name is required", "Sample:Port must be between 1 and 65535"], failures.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ValidSettingsPass()
    {
        Assert.Empty(Validate<SampleOptions>("Sample", new() { ["Sample:Port"] = "80", ["Sample:Name"] = "x" }));
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:Postgres is required")]
    [InlineData("Host=127.0.0.1;Port=abc;Database=x", "ConnectionStrings:Postgres is not a valid PostgreSQL connection string")]
    [InlineData("Hots=127.0.0.1;Database=x", "ConnectionStrings:Postgres is not a valid PostgreSQL connection string")]
    [InlineData("Host=127.0.0.1", "ConnectionStrings:Postgres has no Database")]
    public void PostgresConnectionStringIsChecked(string? value, string expected)
    {
        var result = new PostgresConnection.Validator().Validate(null, new ConnectionStringsOptions { Postgres = value });

        Assert.True(result.Failed);
        Assert.StartsWith(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "ConnectionStrings:Redis is required")]
    [InlineData("abortConnect=false", "ConnectionStrings:Redis names no endpoint")]
    [InlineData("127.0.0.1:56379,connectTimeout=soon", "ConnectionStrings:Redis is not a valid Redis configuration")]
    public void RedisConfigurationIsChecked(string? value, string expected)
    {
        var result = new RedisConnection.Validator().Validate(null, new ConnectionStringsOptions { Redis = value });

        Assert.True(result.Failed);
        Assert.StartsWith(expected, result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void WellFormedConnectionStringsPass()
    {
        var options = new ConnectionStringsOptions { Postgres = "Host=127.0.0.1;Port=55432;Database=platform", Redis = "127.0.0.1:56379" };

        Assert.True(new PostgresConnection.Validator().Validate(null, options).Succeeded);
        Assert.True(new RedisConnection.Validator().Validate(null, options).Succeeded);
    }

    private static List<string> Validate<T>(string section, Dictionary<string, string?> settings)
        where T : class
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddValidatedOptions<T>(section);
        using var provider = services.BuildServiceProvider();
        try
        {
            _ = provider.GetRequiredService<IOptions<T>>().Value;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return [.. e.Failures];
        }
    }

    public sealed class SampleOptions
    {
        [Required]
        public string? Name { get; set; }

        [Range(1, 65535)]
        public int Port { get; set; } = 1;
    }
}
