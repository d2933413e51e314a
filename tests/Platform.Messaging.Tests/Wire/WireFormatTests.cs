using MassTransit;
using MassTransit.Serialization;
using Platform.Contracts;
using Platform.Contracts.Catalog;
using Platform.Messaging.Wire;

namespace Platform.Messaging.Tests.Wire;

/// <summary>Our names for MassTransit's wire format are MassTransit's own: URNs, fault type names, content type.</summary>
public sealed class WireFormatTests
{
    public static TheoryData<Type> Contracts() => [.. MessageTypes.All.Values];

    [Theory]
    [MemberData(nameof(Contracts))]
    public void EveryContractsUrnIsTheTypeMassTransitNamesFirstInItsEnvelopes(Type contract)
    {
        // MassTransit's envelope lists the message type first, then what it implements; readers match on the first.
        Assert.Equal(MessageTypeCache.GetMessageTypeNames(contract)[0], MessageUrns.For(contract));
    }

    [Theory]
    [MemberData(nameof(Contracts))]
    public void TheTypeNameOfEveryContractsUrnIsTheOneMassTransitsFaultHeadersCarry(Type contract)
    {
        Assert.Equal(TypeCache.GetShortName(contract), MessageUrns.TypeNameOf(MessageUrns.For(contract)));
    }

    [Fact]
    public void AUrnIsTheContractsNamespaceAndName()
    {
        // The documented shape (docs/adr/003): what every other MassTransit publisher of these contracts writes.
        Assert.Equal("urn:message:Platform.Contracts.Catalog:ProductViewed", MessageUrns.For<ProductViewed>());
        Assert.Equal(MessageUrns.For<ProductViewed>(), MessageUrns.For(typeof(ProductViewed)));
    }

    [Fact]
    public void WhatIsNotAMessageUrnKeepsItsName()
    {
        Assert.Equal("not-a-urn", MessageUrns.TypeNameOf("not-a-urn"));
    }

    [Fact]
    public void TheEnvelopeContentTypeIsMassTransits()
    {
        Assert.Equal(JsonEnvelope.ContentType, SystemTextJsonMessageSerializer.JsonContentType.MediaType);
    }

    [Fact]
    public void AnEnvelopeMassTransitWritesHasTheMembersWeReadAndWrite()
    {
        var id = Guid.NewGuid();
        var envelope = new JsonMessageEnvelope
        {
            MessageId = id.ToString(),
            MessageType = [MessageUrns.For<ProductViewed>()],
            Message = new ProductViewed(1, 2, DateTimeOffset.UnixEpoch),
            SentTime = DateTime.UnixEpoch,
            Headers = new Dictionary<string, object?>(),
        };

        using var json = System.Text.Json.JsonDocument.Parse(System.Text.Json.JsonSerializer.Serialize(envelope, SystemTextJsonMessageSerializer.Options));

        var root = json.RootElement;
        Assert.Equal(id.ToString(), root.GetProperty(JsonEnvelope.MessageId.Value).GetString());
        Assert.Equal(MessageUrns.For<ProductViewed>(), root.GetProperty(JsonEnvelope.MessageType.Value)[0].GetString());
        Assert.Equal(1, root.GetProperty(JsonEnvelope.Message.Value).GetProperty("productId").GetInt64());
        Assert.True(root.TryGetProperty(JsonEnvelope.SentTime.Value, out _));
        Assert.True(root.TryGetProperty(JsonEnvelope.Headers.Value, out _));
    }

    [Fact]
    public void AnEnvelopeWeCreateIsReadByMassTransitsSerializer()
    {
        var id = Guid.NewGuid();
        var body = JsonEnvelope.Create<ProductViewed>("""{"productId":7,"categoryId":3,"occurredAt":"2026-11-22T01:00:00Z"}""", id);

        var envelope = System.Text.Json.JsonSerializer.Deserialize<JsonMessageEnvelope>(body, SystemTextJsonMessageSerializer.Options)!;

        Assert.Equal(id.ToString(), envelope.MessageId);
        Assert.Equal(new[] { MessageUrns.For<ProductViewed>() }, envelope.MessageType);
    }

    [Fact]
    public void HeadersAFailureAddedAreToldFromTheSendersOwn()
    {
        string[] added = [FaultHeaders.ExceptionType, FaultHeaders.Reason, "MT-Host-MachineName", "MT-Redelivery-Count", "x-dotnet-pub-seq-no"];
        string[] own = ["MT-Activity-Id", "traceparent", "source", "x-badinput-case"];

        Assert.All(added, h => Assert.True(FaultHeaders.AddedByFailure(h), h));
        Assert.All(own, h => Assert.False(FaultHeaders.AddedByFailure(h), h));
    }
}
