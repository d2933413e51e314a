using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Messaging.Outbox;

namespace Platform.Messaging.Tests.Outbox;

public sealed class OutboxOptionsTests
{
    [Fact]
    public void DefaultsAreValid()
    {
        var options = Validate([]);

        Assert.Equal(1000, options.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(5), options.PollInterval);
    }

    [Fact]
    public void ConfiguredValuesAreBound()
    {
        var options = Validate(new() { ["Outbox:BatchSize"] = "50", ["Outbox:PollInterval"] = "00:00:30", ["Outbox:MaxAttempts"] = "4" });

        Assert.Equal(50, options.BatchSize);
        Assert.Equal(TimeSpan.FromSeconds(30), options.PollInterval);
        Assert.Equal(4, options.MaxAttempts);
    }

    [Theory]
    [InlineData("Outbox:BatchSize", "0", "Outbox:BatchSize must be between 1 and 10000")]
    [InlineData("Outbox:PollInterval", "00:00:00", "Outbox:PollInterval must be between")]
    [InlineData("Outbox:RetryMaxDelay", "00:00:00.500", "Outbox:RetryMaxDelay must be at least RetryBaseDelay")]
    [InlineData("Outbox:BrokerRetryMaxDelay", "00:00:00.500", "Outbox:BrokerRetryMaxDelay must be at least BrokerRetryBaseDelay")]
    public void BadSettingFailsAtStartNamingItsKey(string key, string value, string failure)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Validate(new() { [key] = value }));

        Assert.Contains(error.Failures, f => f.StartsWith(failure, StringComparison.Ordinal));
    }

    [Fact]
    public void SchemaMustBeALowercaseIdentifier()
    {
        var builder = Host.CreateApplicationBuilder();

        Assert.Throws<ArgumentException>(() => builder.AddOutboxRelay("Catalog; DROP TABLE x"));
    }

    private static OutboxOptions Validate(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddOutboxRelay("catalog");
        using var host = builder.Build();
        host.Services.GetRequiredService<IStartupValidator>().Validate();
        return host.Services.GetRequiredService<IOptions<OutboxOptions>>().Value;
    }
}
