using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Catalog;
using Platform.Messaging.Outbox;
using Platform.Testing;
using RabbitMQ.Client;

namespace Platform.Messaging.Tests.Outbox;

/// <summary>
/// The relay publishes over AMQP itself (issue #16); what it puts on the wire must be what MassTransit's own publish of
/// the same message puts there, so that no consumer can tell the two apart.
/// </summary>
public sealed class OutboxRelayWireTests
{
    [Fact]
    public async Task TheRelaysMessageLooksLikeMassTransitsPublishOfTheSameEvent()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        await using var receiver = await Receiver.StartAsync(prefix);
        var exchange = ((IRabbitMqMessagePublishTopology<ProductViewed>)receiver.Bus.Topology.PublishTopology.GetMessageTopology<ProductViewed>()).Exchange.ExchangeName;

        // MassTransit's publish declares the exchange; a queue of the test's own taps it.
        await receiver.Bus.Publish(RelayHarness.NewEvent());
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var tap = (await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        await channel.QueueBindAsync(tap, exchange, "");

        var byMassTransit = RelayHarness.NewEvent();
        await receiver.Bus.Publish(byMassTransit);
        var fromMassTransit = await NextAsync(channel, tap);

        await using var relay = await RelayNode.StartAsync(db, prefix);
        await using (var write = await db.DataSource.OpenConnectionAsync())
        {
            await new OutboxWriter("catalog", "catalog-api").WriteAsync(write, null, RelayHarness.NewEvent());
        }

        var fromRelay = await NextAsync(channel, tap);

        Assert.Equal(fromMassTransit.BasicProperties.ContentType, fromRelay.BasicProperties.ContentType);
        Assert.Equal(fromMassTransit.BasicProperties.DeliveryMode, fromRelay.BasicProperties.DeliveryMode);
        Assert.True(Guid.TryParse(fromRelay.BasicProperties.MessageId, out _), "MessageId is the outbox row's id");
        // Every transport header MassTransit sets, the relay sets too (plus the writer's own, e.g. source).
        Assert.Empty(HeaderNames(fromMassTransit).Except(HeaderNames(fromRelay)));
        Assert.Equal("catalog-api", Header(fromRelay, "source"));

        using var ours = JsonDocument.Parse(fromRelay.Body);
        using var theirs = JsonDocument.Parse(fromMassTransit.Body);
        // MassTransit writes absent ids as null and starts a conversation per publish; nothing here reads either.
        Assert.Equal(
            Members(theirs).Where(n => n != "conversationId"),
            Members(ours));
        Assert.Equal(
            theirs.RootElement.GetProperty("messageType").EnumerateArray().Select(e => e.GetString()),
            ours.RootElement.GetProperty("messageType").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(theirs.RootElement.GetProperty("destinationAddress").GetString(), ours.RootElement.GetProperty("destinationAddress").GetString());

        Assert.Equal(fromRelay.BasicProperties.MessageId, ours.RootElement.GetProperty("messageId").GetString());
    }

    [Fact]
    public async Task TheConsumerContinuesTheTraceFromTheRelaysPublishSpan()
    {
        await using var db = await TestDatabase.CreateMigratedAsync();
        var prefix = TestIsolation.NewPrefix();
        var stopped = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == OutboxMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var receiver = await Receiver.StartAsync(prefix);
        await using var relay = await RelayNode.StartAsync(db, prefix);

        using var write = new Activity("write").SetIdFormat(ActivityIdFormat.W3C).Start();
        Guid id;
        await using (var connection = await db.DataSource.OpenConnectionAsync())
        {
            id = await new OutboxWriter("catalog", "catalog-api").WriteAsync(connection, null, RelayHarness.NewEvent());
        }

        write.Stop();
        await receiver.Received.WaitForAsync([id], RelayHarness.Patience);

        var publish = Assert.Single(stopped, a => a.TraceId == write.TraceId && a.OperationName == "outbox publish");
        Assert.Equal(write.SpanId, publish.ParentSpanId);
        Assert.StartsWith($"00-{write.TraceId}-{publish.SpanId}-", receiver.Received.ById[id].TraceParent, StringComparison.Ordinal);
    }

    private static async Task<BasicGetResult> NextAsync(IChannel channel, string queue)
    {
        BasicGetResult? result = null;
        await Eventually.TrueAsync(async () => (result = await channel.BasicGetAsync(queue, autoAck: true)) is not null, RelayHarness.Patience, $"a message on {queue}");
        return result!;
    }

    private static string? Header(BasicGetResult message, string name) =>
        message.BasicProperties.Headers?.TryGetValue(name, out var value) == true
            ? value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : value?.ToString()
            : null;

    private static IEnumerable<string> HeaderNames(BasicGetResult message) =>
        message.BasicProperties.Headers?.Keys ?? Enumerable.Empty<string>();

    private static List<string> Members(JsonDocument document) =>
        [.. document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => p.Name)];
}
