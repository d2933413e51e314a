using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Platform.Hosting.Metrics;

/// <summary>
/// Collects the measurements of the configured meters in process and writes them in the Prometheus text
/// exposition format. Listens from <see cref="Start"/> on; observable instruments are read at each scrape.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>OpenTelemetry's default explicit bucket boundaries, used when an instrument gives no advice.</summary>
    internal static readonly double[] DefaultBoundaries = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private static readonly Dictionary<Type, (MetricType Type, Aggregation Aggregation, bool Monotonic, bool Observable)> Kinds = new()
    {
        [typeof(Counter<>)] = (MetricType.Counter, Aggregation.Sum, true, false),
        // Observable counters report their running total, so the last report is the value.
        [typeof(ObservableCounter<>)] = (MetricType.Counter, Aggregation.LastValue, false, true),
        [typeof(UpDownCounter<>)] = (MetricType.Gauge, Aggregation.Sum, false, false),
        [typeof(ObservableUpDownCounter<>)] = (MetricType.Gauge, Aggregation.LastValue, false, true),
        [typeof(Gauge<>)] = (MetricType.Gauge, Aggregation.LastValue, false, false),
        [typeof(ObservableGauge<>)] = (MetricType.Gauge, Aggregation.LastValue, false, true),
        [typeof(Histogram<>)] = (MetricType.Histogram, Aggregation.Histogram, false, false),
    };

    private static readonly HashSet<Type> NumericTypes =
        [typeof(byte), typeof(short), typeof(int), typeof(long), typeof(float), typeof(double), typeof(decimal)];

    private readonly MeterListener _listener = new();
    private readonly HashSet<string> _exactMeters = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _meterPrefixes = [];
    private readonly int _maxSeries;
    private readonly ILogger _logger;
    private readonly Lock _registryGate = new();
    private readonly Dictionary<InstrumentIdentity, InstrumentState> _instruments = [];
    private readonly Lock _collectGate = new();
    private readonly DroppedMeasurements _dropped = new();
    private int _started;
    private bool _disposed;

    /// <summary>Creates an exporter for the meters named in <paramref name="options"/>; it records nothing until <see cref="Start"/>.</summary>
    /// <exception cref="OptionsValidationException">The options are invalid.</exception>
    public PrometheusExporter(IOptions<MetricsOptions> options, ILogger<PrometheusExporter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var value = options.Value;
        var validation = new MetricsOptionsValidator().Validate(Options.DefaultName, value);
        if (validation.Failed)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MetricsOptions), validation.Failures);
        }

        foreach (var entry in value.Meters)
        {
            if (entry.EndsWith('*'))
            {
                _meterPrefixes.Add(entry[..^1]);
            }
            else
            {
                _exactMeters.Add(entry);
            }
        }

        _maxSeries = value.MaxSeriesPerInstrument;
        _logger = (ILogger?)logger ?? NullLogger.Instance;

        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.MeasurementsCompleted = OnMeasurementsCompleted;
        _listener.SetMeasurementEventCallback<byte>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<long>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>(static (_, value, tags, state) => ((InstrumentState)state!).Record((double)value, tags));
        _listener.SetMeasurementEventCallback<double>(static (_, value, tags, state) => ((InstrumentState)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>(static (_, value, tags, state) => ((InstrumentState)state!).Record((double)value, tags));
    }

    /// <summary>Starts listening: instruments published before and after this call are picked up. Calling it again does nothing.</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _listener.Start();
        }
    }

    /// <summary>
    /// Reads the observable instruments and writes everything collected so far in the text exposition format 0.0.4
    /// (families sorted by name, series by labels). Safe to call from several threads at once.
    /// </summary>
    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        lock (_collectGate)
        {
            List<InstrumentState> states;
            lock (_registryGate)
            {
                states = [.. _instruments.Values];
            }

            Collect(states);
            PrometheusTextWriter.Write(writer, states, _dropped.Count);
        }
    }

    /// <summary>Stops listening; what was collected stays out of later scrapes.</summary>
    public void Dispose()
    {
        _disposed = true;
        _listener.Dispose();
    }

    private void Collect(List<InstrumentState> states)
    {
        var observable = states.Where(s => s.Observable).ToList();
        if (observable.Count == 0)
        {
            return;
        }

        foreach (var state in observable)
        {
            state.BeginCollection();
        }

        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (AggregateException e)
        {
            // One broken callback must not take the whole scrape down; its series are missing from this one.
            _logger.LogWarning(e, "Reading {Count} observable instrument(s) failed", e.InnerExceptions.Count);
        }

        foreach (var state in observable)
        {
            state.EndCollection();
        }
    }

    private bool IsExported(string meterName)
    {
        if (_exactMeters.Contains(meterName))
        {
            return true;
        }

        foreach (var prefix in _meterPrefixes)
        {
            if (meterName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        var type = instrument.GetType();
        if (!IsExported(instrument.Meter.Name)
            || !type.IsGenericType
            || !Kinds.TryGetValue(type.GetGenericTypeDefinition(), out var kind)
            || !NumericTypes.Contains(type.GetGenericArguments()[0]))
        {
            return;
        }

        var identity = new InstrumentIdentity(instrument.Meter.Name, instrument.Name, instrument.Unit, type.GetGenericTypeDefinition());
        InstrumentState? state;
        lock (_registryGate)
        {
            if (!_instruments.TryGetValue(identity, out state))
            {
                state = new InstrumentState(
                    identity,
                    PrometheusNaming.FamilyName(instrument.Name, instrument.Unit, kind.Type),
                    string.IsNullOrWhiteSpace(instrument.Description) ? null : instrument.Description,
                    kind.Type,
                    kind.Aggregation,
                    kind.Monotonic,
                    kind.Observable,
                    kind.Type == MetricType.Histogram ? Boundaries(instrument) : [],
                    _maxSeries,
                    _dropped,
                    OnCapReached);
                _instruments.Add(identity, state);
            }

            state.Instruments++;
        }

        listener.EnableMeasurementEvents(instrument, state);
    }

    private void OnMeasurementsCompleted(Instrument instrument, object? state)
    {
        if (state is not InstrumentState instrumentState)
        {
            return;
        }

        lock (_registryGate)
        {
            // Forgetting a disposed meter's data keeps short-lived meters (one per test host, say) from piling up.
            if (--instrumentState.Instruments <= 0)
            {
                _instruments.Remove(instrumentState.Identity);
            }
        }
    }

    private void OnCapReached(InstrumentState state) =>
        _logger.LogWarning(
            "Metric {Metric} of meter {Meter} reached {MaxSeries} series; measurements with new tag sets are dropped (see Metrics:MaxSeriesPerInstrument)",
            state.FamilyName,
            state.Identity.MeterName,
            state.MaxSeries);

    private double[] Boundaries(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<byte> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<short> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
            Histogram<decimal> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
            _ => null,
        };
        if (advised is null)
        {
            return DefaultBoundaries;
        }

        for (var i = 0; i < advised.Length; i++)
        {
            if (!double.IsFinite(advised[i]) || (i > 0 && advised[i] <= advised[i - 1]))
            {
                _logger.LogWarning(
                    "Histogram {Instrument} of meter {Meter} advises bucket boundaries that are not finite and increasing; using the defaults",
                    instrument.Name,
                    instrument.Meter.Name);
                return DefaultBoundaries;
            }
        }

        return advised;
    }
}
