using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Platform.DeadLetters.Monitoring;

namespace Platform.DeadLetters.Tests;

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
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var queue = "";
            foreach (var tag in tags)
            {
                queue = tag.Key == "queue" ? (string)tag.Value! : queue;
            }

            _gauges[(instrument.Name, queue)] = value;
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
