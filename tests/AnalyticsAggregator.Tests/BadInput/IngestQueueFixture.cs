using System.Net;
using System.Text;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Messaging.Wire;
using Platform.Testing;
using Platform.Testing.BadInput;

namespace AnalyticsAggregator.Tests.BadInput;

/// <summary>
/// The aggregator's ingest queue as a poison sender sees it, written against the queue's contract only (queue names,
/// MassTransit JSON envelopes in, MassTransit-compatible fault headers in <c>{queue}_error</c> out), not against how the
/// service consumes it: the real service (retries shortened, rollups off), a raw RabbitMQ connection, a watch on the
/// error queue, and a check that a valid event still lands in <c>analytics.raw_events</c>.
/// </summary>
public class IngestQueueFixture : ServiceFixture
{
    public static readonly TimeSpan Deadline = BadInputSettings.Deadline(TimeSpan.FromSeconds(30));

    /// <summary>What the ingest queue consumes: every catalog event. It must refuse an event without a message id (it could not deduplicate it).</summary>
    public static readonly QueueContract Contract = new(
        "analytics-aggregator",
        [
            CatalogMessageContracts.ProductCreated,
            CatalogMessageContracts.ProductUpdated,
            CatalogMessageContracts.ProductDeleted,
            CatalogMessageContracts.ProductPriceChanged,
            Viewed,
            CatalogMessageContracts.CategoryChanged,
        ],
        [MessageUrns.For<AnalyticsRollupCompleted>(), MessageUrns.For<CacheInvalidationRequested>()])
    {
        InvalidValues = g => (Viewed.Urn, PoisonMessages.ValidMessage(Viewed, g), false),
    };

    private static MessageContract Viewed => CatalogMessageContracts.ProductViewed;

    private ServiceHost<Program>? _host;

    public string Queue => $"{BusPrefix}-analytics-aggregator";

    public string RunMarker { get; } = TestIsolation.NewPrefix();

    public RawBroker Broker { get; private set; } = null!;

    public ErrorQueueWatch Watch { get; private set; } = null!;

    /// <summary>Settings of the aggregator under test on top of the fixture's.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?>();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Broker = await RawBroker.ConnectAsync();
        Watch = new ErrorQueueWatch(Broker, Queue);
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Analytics:RollupEnabled"] = "false",
            ["Analytics:BatchTimeLimit"] = "00:00:00.020",
            ["Analytics:ImmediateRetries"] = "1",
            ["Analytics:ExponentialRetries"] = "1",
            ["Analytics:MinRetryInterval"] = "00:00:00.050",
        };
        foreach (var (key, value) in Overrides)
        {
            settings[key] = value;
        }

        _host = new ServiceHost<Program>(settings);
        var client = _host.CreateClient();
        await Eventually.TrueAsync(async () => (await client.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK,
            Deadline, "aggregator ready");
        await Broker.WaitForConsumerAsync(Queue, Deadline);
    }

    public async Task SendAsync(IEnumerable<PoisonMessage> poison)
    {
        foreach (var p in poison)
        {
            await Broker.PublishAsync(Queue, p.Body, p.Properties());
        }
    }

    /// <summary>Sends a valid <c>ProductViewed</c> raw, as the relay would (with <paramref name="marker"/> in the marker header), and returns its message id.</summary>
    public async Task<Guid> SendValidViewAsync(string? marker = null)
    {
        var id = Guid.NewGuid();
        var message = BadInputGenerator.Object([
            ("productId", "7"), ("categoryId", Invariant.Of(AnalyticsFixture.NewCategory())),
            ("occurredAt", System.Text.Json.JsonSerializer.Serialize(DateTimeOffset.UtcNow)),
        ]);
        await Broker.PublishAsync(Queue, Encoding.UTF8.GetBytes(PoisonMessages.Envelope(Viewed.Urn, message, id)),
            new RabbitMQ.Client.BasicProperties
            {
                ContentType = PoisonMessages.EnvelopeContentType,
                MessageId = id.ToString(),
                Headers = marker is null ? null : new Dictionary<string, object?> { [PoisonMessage.MarkerHeader] = marker },
            });
        return id;
    }

    public async Task<bool> IsIngestedAsync(Guid id)
    {
        await using var command = Database.DataSource.CreateCommand("SELECT count(*) FROM analytics.raw_events WHERE message_id = @id");
        command.Parameters.AddWithValue("id", id);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }

    /// <summary>Waits for the event with <paramref name="id"/> to be in the raw table.</summary>
    public Task WaitForIngestedAsync(Guid id) =>
        Eventually.TrueAsync(() => IsIngestedAsync(id), Deadline, $"event {id} in analytics.raw_events");

    public override async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        if (Broker is not null)
        {
            string[] types = ["ProductCreated", "ProductUpdated", "ProductDeleted", "ProductPriceChanged", "ProductViewed", "CategoryChanged"];
            await Broker.DeleteAsync(
                [Queue, Watch.ErrorQueue, Watch.SkippedQueue],
                [Queue, Watch.ErrorQueue, Watch.SkippedQueue, .. types.Select(t => $"{BusPrefix}-Platform.Contracts.Catalog:{t}")]);
            await Broker.DisposeAsync();
        }

        await base.DisposeAsync();
    }

}

/// <summary>The same, with batches held open for a second, so poison and valid events share a batch.</summary>
public sealed class SlowBatchIngestFixture : IngestQueueFixture
{
    protected override IReadOnlyDictionary<string, string?> Overrides => new Dictionary<string, string?> { ["Analytics:BatchTimeLimit"] = "00:00:01" };
}
