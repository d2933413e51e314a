namespace AnalyticsAggregator.Tests.Hosting;

/// <summary>The aggregator's outbox is a copy of the shape the shared relay is written against (catalog.outbox).</summary>
public sealed class OutboxShapeTests(AnalyticsFixture fixture) : IClassFixture<AnalyticsFixture>
{
    [Fact]
    public async Task TheOutboxHasTheColumnsIndexAndTriggerTheRelayExpects()
    {
        var analytics = await ShapeAsync("analytics");
        var catalog = await ShapeAsync("catalog");

        Assert.Equal(catalog, analytics);
        Assert.Contains("index outbox_pending_idx", analytics, StringComparison.Ordinal);
        Assert.Contains("trigger outbox_notify", analytics, StringComparison.Ordinal);
    }

    private async Task<string> ShapeAsync(string schema) => await fixture.ScalarAsync<string>($"""
        SELECT string_agg(line, E'\n' ORDER BY line) FROM (
            SELECT 'column ' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
            FROM information_schema.columns WHERE table_schema = '{schema}' AND table_name = 'outbox'
            UNION ALL
            SELECT 'index ' || indexname || ' ' || replace(indexdef, '{schema}.', '') FROM pg_indexes WHERE schemaname = '{schema}' AND tablename = 'outbox'
            UNION ALL
            SELECT 'trigger ' || tgname FROM pg_trigger WHERE tgrelid = '{schema}.outbox'::regclass AND NOT tgisinternal
        ) shape
        """);
}
