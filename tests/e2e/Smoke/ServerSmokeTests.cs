using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Platform.Testing;
using StackExchange.Redis;

namespace Platform.EndToEnd.Tests.Smoke;

/// <summary>The three real servers answer the way the platform uses them.</summary>
public sealed class ServerSmokeTests
{
    [Fact]
    public async Task PostgresRoundTripsARowInAnIsolatedDatabase()
    {
        await using var db = await TestDatabase.CreateEmptyAsync();
        await using (var create = db.DataSource.CreateCommand("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'hello')"))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var read = db.DataSource.CreateCommand("SELECT v FROM t WHERE id = 1");
        Assert.Equal("hello", await read.ExecuteScalarAsync());
    }

    [Fact]
    public async Task RedisSetsAndGetsUnderATestPrefix()
    {
        var key = TestIsolation.NewPrefix() + ":greeting";
        var db = TestRedis.Database;

        await db.StringSetAsync(key, "hello", TimeSpan.FromMinutes(1));

        Assert.Equal("hello", (string?)await db.StringGetAsync(key));
        Assert.True(await db.KeyTimeToLiveAsync(key) > TimeSpan.Zero);
    }

    [Fact]
    public async Task RedisPubSubDeliversToAnotherConnection()
    {
        var channel = RedisChannel.Literal(TestIsolation.NewPrefix() + ":events");
        using var publisher = await TestRedis.ConnectNewAsync();
        using var subscriber = await TestRedis.ConnectNewAsync();
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await subscriber.GetSubscriber().SubscribeAsync(channel, (_, message) => received.TrySetResult(message!));

        var receivers = await publisher.GetSubscriber().PublishAsync(channel, "ping");

        Assert.Equal(1, receivers);
        Assert.Equal("ping", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task MassTransitPublishReachesAConsumerOverRabbitMq()
    {
        var prefix = TestIsolation.NewPrefix();
        var received = new TaskCompletionSource<SmokePing>(TaskCreationOptions.RunContinuationsAsynchronously);
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(received);
        builder.Configuration["ConnectionStrings:RabbitMq"] = TestServers.RabbitMq.ToString();
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        Platform.Messaging.Bus.BusRegistration.AddPlatformBus(builder, x => x.AddConsumer<SmokePingConsumer>());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var bus = host.Services.GetRequiredService<IBusControl>();
            await bus.WaitForHealthStatus(BusHealthStatus.Healthy, TimeSpan.FromSeconds(30));

            var sent = new SmokePing(Guid.NewGuid());
            await bus.Publish(sent);

            Assert.Equal(sent, await received.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}

public sealed record SmokePing(Guid Id);

public sealed class SmokePingConsumer(TaskCompletionSource<SmokePing> received) : IConsumer<SmokePing>
{
    public Task Consume(ConsumeContext<SmokePing> context)
    {
        received.TrySetResult(context.Message);
        return Task.CompletedTask;
    }
}
