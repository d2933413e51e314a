using System.Text.Json;
using Platform.Contracts.Analytics;
using Platform.Contracts.Caching;
using Platform.Contracts.Catalog;

namespace Platform.Contracts.Tests;

public sealed class ContractJsonTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset At = new(2024, 5, 1, 12, 30, 15, 123, TimeSpan.FromHours(2));

    /// <summary>One instance of every contract with no default-valued member, so a dropped property shows.</summary>
    public static TheoryData<object> Samples() =>
    [
        new ProductCreated(42, "SKU-42", 7, 19.99m, "EUR", "active", 1, At),
        new ProductUpdated(42, 8, 7, "archived", 3, At),
        new ProductDeleted(42, 7, 4, At),
        new ProductPriceChanged(42, 7, 19.99m, 17.49m, "EUR", 5, At),
        new ProductViewed(42, 7, At),
        new CategoryChanged(7, "garden-tools", 2, At),
        new AnalyticsRollupCompleted([7, 8], [new DateOnly(2024, 4, 30), new DateOnly(2024, 5, 1)], 123_456, At),
        new CacheInvalidationRequested([CacheNames.Product(42)], [CacheNames.CategoryTag(7)], "price import", "pricing-service", "alice"),
    ];

    [Fact]
    public void SamplesCoverEveryRegisteredContract()
    {
        Assert.Equal(MessageTypes.All.Values.OrderBy(t => t.FullName), ((IEnumerable<object[]>)Samples()).Select(row => row[0].GetType()).OrderBy(t => t.FullName));
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void ContractRoundTripsThroughWebJson(object sample)
    {
        var type = sample.GetType();
        var json = JsonSerializer.Serialize(sample, type, Web);

        var back = JsonSerializer.Deserialize(json, type, Web);

        Assert.NotNull(back);
        Assert.IsType(type, back);
        // Records with list members compare lists by reference, so compare what they serialise to.
        Assert.Equal(json, JsonSerializer.Serialize(back, type, Web));
        Assert.DoesNotContain(":null", json, StringComparison.Ordinal);
    }

    [Fact]
    public void PayloadsUseCamelCaseNamesAndKeepOffsetAndPrecision()
    {
        var json = JsonSerializer.Serialize(new ProductPriceChanged(42, 7, 19.99m, 17.49m, "EUR", 5, At), Web);

        Assert.Equal(
            """{"productId":42,"categoryId":7,"previousPrice":19.99,"price":17.49,"currency":"EUR","version":5,"occurredAt":"2024-05-01T12:30:15.123+02:00"}""",
            json);
    }

    [Fact]
    public void RollupDaysSerialiseAsIsoDates()
    {
        var json = JsonSerializer.Serialize(new AnalyticsRollupCompleted([7], [new DateOnly(2024, 5, 1)], 9, At), Web);

        Assert.Contains("\"days\":[\"2024-05-01\"]", json, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAddedPropertyInAPayloadIsIgnoredByAnOlderReader()
    {
        // Additive changes only: a newer producer's extra field must not break today's consumers.
        const string newer = """{"productId":42,"categoryId":7,"occurredAt":"2024-05-01T12:30:15+00:00","referrer":"search"}""";

        var viewed = JsonSerializer.Deserialize<ProductViewed>(newer, Web);

        Assert.Equal(new ProductViewed(42, 7, new DateTimeOffset(2024, 5, 1, 12, 30, 15, TimeSpan.Zero)), viewed);
    }
}
