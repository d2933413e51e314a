using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.Caching.Tests;

public sealed class CacheOptionsValidationTests
{
    [Fact]
    public void ABadSettingStopsTheStartNamingItsKey()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cache:UseRedis"] = "false",
            ["Cache:KeyPrefix"] = "has space",
            ["Cache:StreamMaxLength"] = "5",
        });
        builder.AddPlatformCache();
        using var services = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CacheOptions>>().Value);

        Assert.Contains(error.Failures, f => f == "Cache:KeyPrefix must be 1-64 letters, digits or : _ . - { }");
        Assert.Contains(error.Failures, f => f == "Cache:StreamMaxLength must be between 100 and 10000000");
        Assert.Equal(2, error.Failures.Count());
    }

    [Fact]
    public void ARedisCallTimeoutAbove250MsStopsTheStart()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Cache:UseRedis"] = "false",
            ["Cache:RedisCallTimeout"] = "00:00:01",
        });
        builder.AddPlatformCache();
        using var services = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<CacheOptions>>().Value);

        Assert.Equal(["Cache:RedisCallTimeout must be positive and at most 250 ms (no request waits on Redis longer)"], error.Failures);
    }

    [Fact]
    public void ACacheBuiltDirectlyRefusesBadOptionsNamingTheKey()
    {
        var options = new CacheOptions { UseRedis = false, HeartbeatTimeout = TimeSpan.FromSeconds(6), DegradedL1Ttl = TimeSpan.FromSeconds(10) };

        var error = Assert.Throws<OptionsValidationException>(() => new TwoLevelCache(options, redis: null));

        Assert.Equal(["Cache:ResubscribeAfter must be longer than HeartbeatTimeout"], error.Failures);
    }
}
