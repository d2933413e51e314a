using System.Text;
using System.Text.Json;
using Platform.DeadLetters.Mover;
using Platform.DeadLetters.Operations;
using Platform.Messaging.Wire;
using Platform.Testing;
using RabbitMQ.Client.Exceptions;

namespace Platform.DeadLetters.Tests.Mover;

/// <summary>The mover takes MassTransit's real faults out of the error queue and stores them whole.</summary>
public sealed class DeadLetterCaptureTests
{
    [Fact]
    public async Task FailedMessageIsStoredWithItsHeadersBodyAndFault()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var before = DateTimeOffset.UtcNow;

        var id = await consumer.PublishProductUpdatedAsync(42);
        await world.WaitForStoredAsync(1);

        var row = await world.RowAsync(id.ToString());
        var detail = await node.GetAsync<DeadLetterDetail>($"/ops/dead-letters/{row.Id}");
        var d = detail.DeadLetter;
        Assert.Equal(world.ErrorQueue, d.SourceQueue);
        Assert.Equal(world.InputQueue, d.OriginalQueue);
        Assert.Equal("Platform.Contracts.Catalog.ProductUpdated", d.MessageType);
        Assert.Equal("System.InvalidOperationException", d.ExceptionType);
        Assert.Equal("eviction failed for product 42", d.ExceptionMessage);
        Assert.Contains(nameof(FlakyConsumer), d.ConsumerType, StringComparison.Ordinal);
        Assert.Contains("FlakyConsumer.Consume", detail.ExceptionStack, StringComparison.Ordinal);
        Assert.Equal(DeadLetterRecord.FingerprintOf(d.ExceptionType, d.MessageType, d.ConsumerType), d.Fingerprint);
        Assert.Equal(1, d.FailureCount);
        Assert.Equal(d.FirstFailedAt, d.LastFailedAt);
        Assert.InRange(d.FirstFailedAt, before.AddSeconds(-5), DateTimeOffset.UtcNow.AddSeconds(5));

        // Every header MassTransit 8.5.12 writes on its way to the error queue (the same set as 8.4.0 wrote), in ordinal
        // order. The publisher sent none, so all of them came from the failure, and a replay must drop every one
        // (FaultHeaders.AddedByFailure): an upgrade that changes this set fails here, to be checked against that rule.
        string[] faultHeaders =
        [
            "MT-Fault-ConsumerType", "MT-Fault-ExceptionType", "MT-Fault-InputAddress", "MT-Fault-Message", "MT-Fault-MessageType",
            "MT-Fault-StackTrace", "MT-Fault-Timestamp", "MT-Host-Assembly", "MT-Host-AssemblyVersion", "MT-Host-FrameworkVersion",
            "MT-Host-MachineName", "MT-Host-MassTransitVersion", "MT-Host-OperatingSystemVersion", "MT-Host-ProcessId",
            "MT-Host-ProcessName", "MT-Reason", "x-dotnet-pub-seq-no",
        ];
        Assert.Equal(faultHeaders, detail.Headers.Select(h => h.Key).Order(StringComparer.Ordinal));
        Assert.Equal("fault", detail.Headers["MT-Reason"]!.GetValue<string>());
        Assert.Equal("application/vnd.masstransit+json", detail.ContentType);

        // The body is MassTransit's envelope as it was published.
        using var envelope = JsonDocument.Parse(detail.BodyText!);
        Assert.Equal(id.ToString(), envelope.RootElement.GetProperty("messageId").GetString());
        Assert.Equal(42, envelope.RootElement.GetProperty("message").GetProperty("productId").GetInt64());
        Assert.Equal(detail.BodyText, Encoding.UTF8.GetString(Convert.FromBase64String(detail.BodyBase64)));

        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.ErrorQueue) == 0, DeadLetterHarness.Patience, "error queue drained");
    }

    [Fact]
    public async Task AMessageOfATypeNoConsumerTakesIsStoredFromTheSkippedQueueWithTheReason()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        var id = Guid.NewGuid();
        var envelope = JsonEnvelope.Create<ProductExploded>("""{"productId":1}""", id);

        await world.PublishRawAsync(Encoding.UTF8.GetBytes(envelope), JsonEnvelope.ContentType);
        await world.WaitForStoredAsync(1);

        var row = await world.RowAsync(id.ToString());
        var detail = await node.GetAsync<DeadLetterDetail>($"/ops/dead-letters/{row.Id}");
        Assert.Equal(world.InputQueue + DeadLetterRecord.SkippedSuffix, detail.DeadLetter.SourceQueue);
        Assert.Equal(world.InputQueue, detail.DeadLetter.OriginalQueue);
        Assert.Equal(DeadLetterRecord.SkippedType, detail.DeadLetter.ExceptionType);
        Assert.Contains(typeof(ProductExploded).FullName!, detail.DeadLetter.ExceptionMessage, StringComparison.Ordinal);
        Assert.Equal("dead-letter", detail.Headers["MT-Reason"]!.GetValue<string>());
        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.InputQueue + DeadLetterRecord.SkippedSuffix) == 0, DeadLetterHarness.Patience, "skipped queue drained");
    }

    [Fact]
    public async Task BodyThatIsNotJsonIsStoredByteForByteUnderAHashId()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        byte[] body = [0xff, 0xfe, (byte)'n', (byte)'o', (byte)'t', 0x00, (byte)'j', (byte)'s', (byte)'o', (byte)'n'];

        await world.PublishRawAsync(body, "application/octet-stream");
        await world.WaitForStoredAsync(1);

        var id = await world.ScalarAsync<long>("SELECT id FROM invalidator.dead_letters");
        var detail = await node.GetAsync<DeadLetterDetail>($"/ops/dead-letters/{id}");
        Assert.StartsWith(DeadLetterRecord.HashIdPrefix, detail.DeadLetter.MessageId, StringComparison.Ordinal);
        Assert.Equal(body, Convert.FromBase64String(detail.BodyBase64));
        Assert.Null(detail.BodyText);
        Assert.Null(detail.DeadLetter.MessageType);
        Assert.Null(detail.DeadLetter.ConsumerType);
        Assert.EndsWith("JsonReaderException", detail.DeadLetter.ExceptionType, StringComparison.Ordinal);
        Assert.Equal(world.InputQueue, detail.DeadLetter.OriginalQueue);
        Assert.Equal("application/octet-stream", detail.ContentType);
    }

    [Fact]
    public async Task MoverWaitsForMassTransitToCreateTheErrorQueueWithItsOwnArguments()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var node = await world.StartOpsNodeAsync();
        await node.WaitUntilConnectedAsync();
        Assert.Equal(0u, await world.QueueDepthAsync(world.ErrorQueue));
        Assert.Contains($"not created yet (no fault there so far): {world.ErrorQueue}", await ReadinessAsync(node), StringComparison.Ordinal);

        // MassTransit creates the error queue at the first fault, quorum like its endpoint; the mover created nothing in its way.
        var consumer = await world.StartConsumerAsync();
        var id = await consumer.PublishProductUpdatedAsync(1);

        await world.WaitForStoredAsync(1);
        Assert.Equal(DeadLetterStatus.Stored, (await world.RowAsync(id.ToString())).Status);
        await node.WaitUntilConsumingAsync(world.ErrorQueue);
        Assert.StartsWith($"consuming {world.ErrorQueue}", await ReadinessAsync(node), StringComparison.Ordinal);
        var classic = await Assert.ThrowsAsync<OperationInterruptedException>(() => world.DeclareClassicAsync(world.ErrorQueue));
        Assert.Equal((ushort)406, classic.ShutdownReason!.ReplyCode);
    }

    [Fact]
    public async Task MoverReconnectsAfterLosingTheBroker()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        await using var proxy = new TcpProxy(TestServers.RabbitMq.Port);
        var consumer = await world.StartConsumerAsync();
        var viaProxy = new UriBuilder(TestServers.RabbitMq) { Port = proxy.Port }.Uri;
        var node = await world.StartOpsNodeAsync(rabbitMq: viaProxy, withBus: false);
        await node.WaitUntilConnectedAsync();

        proxy.Cut();
        await Eventually.TrueAsync(() => Task.FromResult(!node.MoverStatus.IsConnected), DeadLetterHarness.Patience, "mover noticed the cut");
        var whileDown = await consumer.PublishProductUpdatedAsync(1);
        await Eventually.TrueAsync(async () => await world.QueueDepthAsync(world.ErrorQueue) == 1, DeadLetterHarness.Patience, "fault waiting in the error queue");
        Assert.Equal(0, await world.CountAsync());

        proxy.Restore();
        await world.WaitForStoredAsync(1);
        Assert.Equal(1, (await world.RowAsync(whileDown.ToString())).FailureCount);
        await node.WaitUntilConsumingAsync(world.ErrorQueue);
    }

    private static async Task<string> ReadinessAsync(OpsNode node)
    {
        using var ready = JsonDocument.Parse(await node.Anonymous.GetStringAsync(new Uri("/health/ready", UriKind.Relative)));
        return ready.RootElement.GetProperty("checks").GetProperty("dead-letter-mover").GetProperty("description").GetString()!;
    }
}
