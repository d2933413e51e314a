using Platform.Hosting.Connections;
using Platform.Messaging.Bus;

namespace AnalyticsAggregator;

/// <summary>The analytics-aggregator service's wiring: its servers, consumers and endpoints.</summary>
public static class AnalyticsAggregatorExtensions
{
    public static WebApplicationBuilder AddAnalyticsAggregator(this WebApplicationBuilder builder)
    {
        builder.AddPlatformPostgres();
        builder.AddPlatformBus();
        return builder;
    }

    public static WebApplication MapAnalyticsAggregator(this WebApplication app) => app;
}
