using Platform.Contracts.Catalog;

namespace AnalyticsAggregator.Ingest;

/// <summary>Stored in <c>analytics.raw_events.kind</c>; the numbers are part of the table's contract.</summary>
public enum EventKind : short
{
    ProductCreated = 1,
    ProductUpdated = 2,
    ProductDeleted = 3,
    ProductPriceChanged = 4,
    ProductViewed = 5,
    CategoryChanged = 6,
}

/// <summary>One row of <c>analytics.raw_events</c>: what the rollups need of a catalog event, keyed by its message id.</summary>
public readonly record struct RawEvent(Guid MessageId, EventKind Kind, DateTimeOffset OccurredAt, long CategoryId, long? ProductId)
{
    /// <summary>The UTC day the event's statistics belong to, however late it arrives.</summary>
    public DateOnly Day => DateOnly.FromDateTime(OccurredAt.UtcDateTime);

    public static RawEvent From(Guid messageId, ProductCreated e) => new(messageId, EventKind.ProductCreated, e.OccurredAt, e.CategoryId, e.ProductId);

    // A move is counted in the category the product moved to: that is where its later views are counted too.
    public static RawEvent From(Guid messageId, ProductUpdated e) => new(messageId, EventKind.ProductUpdated, e.OccurredAt, e.CategoryId, e.ProductId);

    public static RawEvent From(Guid messageId, ProductDeleted e) => new(messageId, EventKind.ProductDeleted, e.OccurredAt, e.CategoryId, e.ProductId);

    public static RawEvent From(Guid messageId, ProductPriceChanged e) => new(messageId, EventKind.ProductPriceChanged, e.OccurredAt, e.CategoryId, e.ProductId);

    public static RawEvent From(Guid messageId, ProductViewed e) => new(messageId, EventKind.ProductViewed, e.OccurredAt, e.CategoryId, e.ProductId);

    public static RawEvent From(Guid messageId, CategoryChanged e) => new(messageId, EventKind.CategoryChanged, e.OccurredAt, e.CategoryId, null);
}
