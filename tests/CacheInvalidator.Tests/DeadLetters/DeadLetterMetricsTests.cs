using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CacheInvalidator.DeadLetters;
using Microsoft.Extensions.DependencyInjection;
using Platform.Testing;

namespace CacheInvalidator.Tests.DeadLetters;

/// <summary>Counters for stored, replayed, purged and failed replays, and the stored gauge per error queue.</summary>
public sealed class DeadLetterMetricsTests
{
    [Fact]
    public async Task MetricsCountStoredReplayedPurgedAndGaugeTheStoredPerQueue()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        using var metrics = new DeadLetterInstruments(node.Services);
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add(await consumer.PublishProductUpdatedAsync(i));
        }

        await world.WaitForStoredAsync(4);
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("platform.dead_letters.current", world.ErrorQueue) == 4), DeadLetterHarness.Patience, "gauge at 4");
        Assert.Equal(0, metrics.Gauge("platform.dead_letters.current", $"{world.Prefix}-analytics-aggregator_error"));
        Assert.Equal(4, metrics.Sum("platform.dead_letters.stored"));
        var scrape = await node.Anonymous.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains($"platform_dead_letters_current{{queue=\"{world.ErrorQueue}\"}} 4", scrape, StringComparison.Ordinal);
        Assert.Contains("platform_dead_letters_stored_total{", scrape, StringComparison.Ordinal);

        consumer.Behaviour.Fail = false;
        var first = await world.RowAsync(ids[0].ToString());
        var second = await world.RowAsync(ids[1].ToString());
        await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { first.Id } });
        await node.PostAsync("/ops/dead-letters/purge", new { ids = new[] { second.Id } });
        await consumer.DisposeAsync();
        await world.DeleteQueueAsync(world.InputQueue);
        var third = await world.RowAsync(ids[2].ToString());
        await node.PostAsync("/ops/dead-letters/replay", new { ids = new[] { third.Id } });

        Assert.Equal(1, metrics.Sum("platform.dead_letters.replayed"));
        Assert.Equal(1, metrics.Sum("platform.dead_letters.purged"));
        Assert.Equal(1, metrics.Sum("platform.dead_letters.replay_failures"));
        await Eventually.TrueAsync(() => Task.FromResult(metrics.Gauge("platform.dead_letters.current", world.ErrorQueue) == 2), DeadLetterHarness.Patience, "gauge at 2");
    }
}

/// <summary>Reads one host's dead-letter instruments (its own meter factory's, not another test's).</summary>
internal sealed class DeadLetterInstruments : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, double> _sums = new();
    private readonly ConcurrentDictionary<(string, string), double> _gauges = new();

    public DeadLetterInstruments(IServiceProvider services)
    {
        var factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == DeadLetterMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            if (instrument is ObservableGauge<long>)
            {
                var queue = "";
                foreach (var tag in tags)
                {
                    queue = tag.Key == "queue" ? (string)tag.Value! : queue;
                }

                _gauges[(instrument.Name, queue)] = value;
            }
            else
            {
                _sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
            }
        });
        _listener.Start();
    }

    public double Sum(string name) => _sums.TryGetValue(name, out var sum) ? sum : 0;

    public double Gauge(string name, string queue)
    {
        _listener.RecordObservableInstruments();
        return _gauges.TryGetValue((name, queue), out var value) ? value : double.NaN;
    }

    public void Dispose() => _listener.Dispose();
}
