using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Platform.Contracts.Caching;
using Platform.Messaging.Wire;

namespace CacheInvalidator.Tests.Requests;

/// <summary>
/// What another team's service sees when it publishes to the public request exchange
/// (<c>Platform.Contracts.Caching:CacheInvalidationRequested</c>): plain JSON works like the envelope, a refused message
/// becomes a stored dead letter whose reason says what to fix, and every applied request is on record.
/// </summary>
public sealed class PublicExchangeTests(PublishingFixture fixture) : IClassFixture<PublishingFixture>
{
    private static string Unique(string what) => $"{what} {Guid.NewGuid():N}";

    private static string Json(object value) => JsonSerializer.Serialize(value);

    [Fact]
    public async Task PlainJsonRequestOnThePublicExchangeEvictsAndIsRecorded()
    {
        var key = await fixture.CachedKeyAsync("plain");
        var reason = Unique("plain json");
        var messageId = Guid.NewGuid().ToString();

        await fixture.PublishAsync(Json(new { keys = new[] { key }, tags = Array.Empty<string>(), reason, source = "pricing-service" }), reason, messageId: messageId);

        await fixture.WaitUntilEvictedAsync(key);
        var record = await fixture.RecordAsync(reason);
        Assert.Equal(("plain-json", messageId, "pricing-service", (string?)null), (record.Channel, record.MessageId, record.Source, record.Actor));
        Assert.Equal([key], record.Keys);
    }

    [Fact]
    public async Task PlainJsonNamingItsTypeByStableNameIsAccepted()
    {
        var key = await fixture.CachedKeyAsync("typed");
        var reason = Unique("typed");

        await fixture.PublishAsync(Json(new { keys = new[] { key }, tags = Array.Empty<string>(), reason, source = "svc", actor = "bob" }), reason,
            type: "caching.invalidation-requested.v1");

        await fixture.WaitUntilEvictedAsync(key);
        Assert.Equal("bob", (await fixture.RecordAsync(reason)).Actor);
    }

    [Fact]
    public async Task PlainJsonMissingAFieldIsDeadLetteredNamingTheField()
    {
        var marker = Unique("missing");

        await fixture.PublishAsync(Json(new { tags = new[] { "t" }, reason = "r", source = "svc" }), marker);

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Contains("missing field keys", dead.ExceptionMessage, StringComparison.Ordinal);
        Assert.Equal(fixture.Queue + "_error", dead.SourceQueue);
    }

    [Fact]
    public async Task PlainJsonWithAWrongValueIsDeadLetteredNamingTheField()
    {
        var marker = Unique("wrong");

        await fixture.PublishAsync("""{"keys": "not-a-list", "tags": [], "reason": "r", "source": "svc"}""", marker);

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Contains("field keys has a wrong value", dead.ExceptionMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainJsonNamingAnUnknownTypeIsDeadLetteredListingTheKnownTypes()
    {
        var marker = Unique("unknown");

        await fixture.PublishAsync(Json(new { sku = "A-1" }), marker, type: "pricing.price-imported.v1");

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Contains("unknown message type pricing.price-imported.v1; known: caching.invalidation-requested.v1, catalog.product-created.v1",
            dead.ExceptionMessage, StringComparison.Ordinal);
        Assert.Equal("pricing.price-imported.v1", dead.MessageType);
    }

    [Fact]
    public async Task PlainJsonThatIsNotJsonIsDeadLetteredSayingSo()
    {
        var marker = Unique("not json");

        await fixture.PublishAsync("keys=a&tags=b", marker);

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Contains("the body is not JSON", dead.ExceptionMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EnvelopeOfAnUnknownTypeOnThePublicExchangeIsStoredWithAReason()
    {
        var marker = Unique("unknown envelope");
        var urn = "urn:message:Platform.Contracts.Catalog:ProductExploded";

        await fixture.PublishAsync(JsonEnvelope.Create(urn, Json(new { productId = 1 }), Guid.NewGuid()), marker, JsonEnvelope.ContentType);

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Equal(fixture.Queue + "_skipped", dead.SourceQueue);
        Assert.Contains("takes message type Platform.Contracts.Catalog.ProductExploded", dead.ExceptionMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainJsonOfAKnownTypeTheQueueDoesNotConsumeIsStoredWithAReason()
    {
        var marker = Unique("viewed");

        await fixture.PublishAsync(Json(new { productId = 1, categoryId = 2, occurredAt = DateTimeOffset.UtcNow }), marker, type: "catalog.product-viewed.v1");

        var dead = await fixture.DeadLetterAsync(marker);
        Assert.Contains("unknown message type catalog.product-viewed.v1", dead.ExceptionMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MassTransitRequestIsRecordedWithItsActorOnce()
    {
        var key = await fixture.CachedKeyAsync("envelope");
        var reason = Unique("envelope");
        var bus = fixture.Host.Services.GetRequiredService<IBus>();
        var id = NewId.NextGuid();

        await bus.Publish(new CacheInvalidationRequested([key, key], [], reason, "ops-console", "alice"), c => c.MessageId = id);
        await fixture.WaitUntilEvictedAsync(key);
        // The same message again (a redelivery after the record was written): evicts again, adds no record.
        await bus.Publish(new CacheInvalidationRequested([key], [], reason, "ops-console", "alice"), c => c.MessageId = id);
        var marker = await fixture.CachedKeyAsync("after");
        await bus.Publish(new CacheInvalidationRequested([marker], [], reason + " after", "ops-console"));
        await fixture.WaitUntilEvictedAsync(marker);
        await fixture.RecordAsync(reason + " after");

        var record = Assert.Single(await fixture.RecordsAsync(reason));
        Assert.Equal(("masstransit", id.ToString(), "alice", "ops-console"), (record.Channel, record.MessageId, record.Actor, record.Source));
        Assert.Equal([key], record.Keys);
    }
}
