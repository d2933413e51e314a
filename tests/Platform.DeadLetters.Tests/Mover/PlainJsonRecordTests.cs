using System.Text;
using Platform.DeadLetters.Mover;
using RabbitMQ.Client;

namespace Platform.DeadLetters.Tests.Mover;

/// <summary>
/// A plain JSON dead letter (<c>application/json</c>, no MassTransit envelope) is read as what it is: its members belong to
/// the sender, so a <c>messageId</c> or <c>messageType</c> in it is not taken for an envelope's, and its type is the one
/// the sender named in the AMQP <c>type</c> property.
/// </summary>
public sealed class PlainJsonRecordTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes(
        """{"messageId": "sender-field", "messageType": ["urn:message:Sender:Thing"], "keys": ["k"], "tags": [], "reason": "r", "source": "s"}""");

    [Fact]
    public void PlainJsonBodyIsNotReadAsAnEnvelope()
    {
        var properties = new BasicProperties { ContentType = "application/json", Type = "caching.invalidation-requested.v1" };

        var record = DeadLetterRecord.FromDelivery("q_error", properties, Body, DateTimeOffset.UtcNow);

        Assert.Equal("caching.invalidation-requested.v1", record.MessageType);
        Assert.StartsWith(DeadLetterRecord.HashIdPrefix, record.MessageId, StringComparison.Ordinal);
    }

    [Fact]
    public void PlainJsonTypeMayComeFromTheMassTransitRawHeaderAsAUrn()
    {
        var properties = new BasicProperties
        {
            ContentType = "application/json; charset=utf-8",
            MessageId = "m-1",
            Headers = new Dictionary<string, object?> { ["MT-MessageType"] = Encoding.UTF8.GetBytes("urn:message:Platform.Contracts.Caching:CacheInvalidationRequested") },
        };

        var record = DeadLetterRecord.FromDelivery("q_error", properties, Body, DateTimeOffset.UtcNow);

        Assert.Equal(("Platform.Contracts.Caching.CacheInvalidationRequested", "m-1"), (record.MessageType, record.MessageId));
    }

    [Fact]
    public void EnvelopeBodyStillGivesItsIdAndType()
    {
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json" };

        var record = DeadLetterRecord.FromDelivery("q_error", properties, Body, DateTimeOffset.UtcNow);

        Assert.Equal(("Sender.Thing", "sender-field"), (record.MessageType, record.MessageId));
    }
}
