using System.Text;
using AnalyticsAggregator.Ingest;
using Platform.Contracts.Analytics;
using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;

namespace AnalyticsAggregator.Tests.Ingest;

/// <summary>What the ingest consumer accepts from a delivery, and the reason it gives when it refuses one.</summary>
public sealed class IngestEnvelopeTests
{
    private const string Id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    private static string Envelope<T>(string message) => JsonEnvelope.Create<T>(message, Guid.Parse(Id));

    // Bodies below name a message type by placeholder: the URN comes from the contract type, as publishers derive it.
    private static string WithUrns(string body) =>
        body.Replace("URN-VIEWED", MessageUrns.For<ProductViewed>(), StringComparison.Ordinal)
            .Replace("URN-FOREIGN", MessageUrns.For<AnalyticsRollupCompleted>(), StringComparison.Ordinal);

    private static (bool Ok, RawEvent Row, IngestRefusal Refusal) Parse(string body, string? contentType = IngestEnvelope.ContentType, string? propertiesId = null)
    {
        var ok = IngestEnvelope.TryParse(Encoding.UTF8.GetBytes(body), contentType, propertiesId, out var row, out var refusal);
        return (ok, row, refusal);
    }

    [Fact]
    public void AMassTransitEnvelopeBecomesARowUnderItsMessageIdWithDecimalsAsStrings()
    {
        // MassTransit writes decimals as strings; the relay writes them as numbers: both are read.
        var (ok, row, _) = Parse(Envelope<ProductPriceChanged>(
            """{"productId":7,"categoryId":3,"previousPrice":"10.5","price":12,"currency":"EUR","version":2,"occurredAt":"2026-11-21T23:59:59Z"}"""));

        Assert.True(ok);
        Assert.Equal(new RawEvent(Guid.Parse(Id), EventKind.ProductPriceChanged, new DateTimeOffset(2026, 11, 21, 23, 59, 59, TimeSpan.Zero), 3, 7), row);
        Assert.Equal(new DateOnly(2026, 11, 21), row.Day);
    }

    [Fact]
    public void ACategoryEventHasNoProduct()
    {
        var (ok, row, _) = Parse(Envelope<CategoryChanged>("""{"categoryId":4,"slug":"audio","version":3,"occurredAt":"2026-11-22T01:00:00Z"}"""));

        Assert.True(ok);
        Assert.Equal(EventKind.CategoryChanged, row.Kind);
        Assert.Null(row.ProductId);
    }

    [Fact]
    public void EveryEventKindIsReadUnderTheUrnOfItsContract()
    {
        foreach (var kind in Enum.GetValues<EventKind>())
        {
            var contract = Platform.Contracts.MessageTypes.All.Values.Single(t => t.Name == kind.ToString());
            Assert.Equal(MessageUrns.For(contract), IngestEnvelope.UrnOf(kind));
            Assert.Contains(IngestEnvelope.UrnOf(kind), IngestEnvelope.MessageTypes);
        }
    }

    [Theory]
    [InlineData("not json at all", "MalformedEnvelope")]
    [InlineData("[1,2]", "MalformedEnvelope")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":["URN-FOREIGN"],"message":{}}""", "UnknownMessageType")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":"URN-VIEWED","message":{"productId":1,"categoryId":1,"occurredAt":"2026-11-22T01:00:00Z"}}""", "UnknownMessageType")]
    [InlineData("""{"messageType":["URN-VIEWED"],"message":{"productId":1,"categoryId":1,"occurredAt":"2026-11-22T01:00:00Z"}}""", "MissingMessageId")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":["URN-VIEWED"],"message":{"productId":1,"occurredAt":"2026-11-22T01:00:00Z"}}""", "MalformedMessage")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":["URN-VIEWED"],"message":{"productId":"x","categoryId":1,"occurredAt":"2026-11-22T01:00:00Z"}}""", "MalformedMessage")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":["URN-VIEWED"],"message":{"productId":-4,"categoryId":1,"occurredAt":"2026-11-22T01:00:00Z"}}""", "InvalidEvent")]
    [InlineData("""{"messageId":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","messageType":["URN-VIEWED"]}""", "MalformedEnvelope")]
    public void ABadDeliveryIsRefusedWithItsReason(string body, string code)
    {
        var (ok, _, refusal) = Parse(WithUrns(body));

        Assert.False(ok);
        Assert.Equal(code, refusal.Code);
        Assert.False(string.IsNullOrWhiteSpace(refusal.Reason));
    }

    [Fact]
    public void AnotherContentTypeIsRefusedByName()
    {
        var (ok, _, refusal) = Parse(Envelope<ProductViewed>("""{"productId":1,"categoryId":1,"occurredAt":"2026-11-22T01:00:00Z"}"""), "application/xml");

        Assert.False(ok);
        Assert.Contains("application/xml", refusal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMessageIdOfTheAmqpPropertiesIsUsedWhenTheEnvelopeHasNone()
    {
        var body = JsonEnvelope.Create<ProductViewed>("""{"productId":1,"categoryId":2,"occurredAt":"2026-11-22T01:00:00Z"}""", messageId: null);

        var (ok, row, _) = Parse(body, propertiesId: Id);

        Assert.True(ok);
        Assert.Equal(Guid.Parse(Id), row.MessageId);
    }
}
