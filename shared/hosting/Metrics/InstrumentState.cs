using System.Collections.Concurrent;

namespace Platform.Hosting.Metrics;

/// <summary>Prometheus metric type of a family.</summary>
internal enum MetricType
{
    Counter,
    Gauge,
    Histogram,
}

/// <summary>How measurements of an instrument combine into a series value.</summary>
internal enum Aggregation
{
    Sum,
    LastValue,
    Histogram,
}

/// <summary>Which instrument a state belongs to: instruments of same-named meters (one per DI container) share one state.</summary>
internal readonly record struct InstrumentIdentity(string MeterName, string InstrumentName, string? Unit, Type InstrumentKind);

/// <summary>Measurements dropped by every instrument at its series cap; lives as long as the exporter so it never goes backwards.</summary>
internal sealed class DroppedMeasurements
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public void Add() => Interlocked.Increment(ref _count);
}

/// <summary>Everything recorded for one instrument: its series by tag set, capped.</summary>
internal sealed class InstrumentState
{
    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new(SeriesKeyComparer.Instance);
    private readonly ConcurrentDictionary<SeriesKey, Series>.AlternateLookup<MeasurementTags> _lookup;
    private readonly Lock _createGate = new();
    // Series by rendered labels: tag sets that differ only in ways the exposition cannot show (200 vs 200L, "a.b" vs
    // "a_b") must share one series, or the scrape would carry duplicates. Guarded by _createGate.
    private readonly Dictionary<string, Series> _byLabels = new(StringComparer.Ordinal);
    private readonly Aggregation _aggregation;
    private readonly double[] _bounds;
    private readonly int _maxSeries;
    private readonly DroppedMeasurements _dropped;
    private readonly Action<InstrumentState> _capReached;
    private int _seriesCount;
    private int _capReachedReported;
    private long _collection;

    public InstrumentState(
        InstrumentIdentity identity,
        string familyName,
        string? help,
        MetricType type,
        Aggregation aggregation,
        bool monotonic,
        bool observable,
        double[] bounds,
        int maxSeries,
        DroppedMeasurements dropped,
        Action<InstrumentState> capReached)
    {
        Identity = identity;
        FamilyName = familyName;
        Help = help;
        Type = type;
        Monotonic = monotonic;
        Observable = observable;
        _aggregation = aggregation;
        _bounds = bounds;
        _maxSeries = maxSeries;
        _dropped = dropped;
        _capReached = capReached;
        _lookup = _series.GetAlternateLookup<MeasurementTags>();
    }

    public InstrumentIdentity Identity { get; }

    public string FamilyName { get; }

    public string? Help { get; }

    public MetricType Type { get; }

    /// <summary>Counters only go up: a negative or NaN increment is a caller bug and would read as a counter reset.</summary>
    public bool Monotonic { get; }

    public bool Observable { get; }

    public int MaxSeries => _maxSeries;

    /// <summary>Live instruments recording into this state; guarded by the exporter's registry lock.</summary>
    public int Instruments { get; set; }

    public void Record(long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Monotonic && value < 0)
        {
            return;
        }

        SeriesFor(tags)?.Record(value);
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (Monotonic && !(value >= 0))
        {
            return;
        }

        SeriesFor(tags)?.Record(value);
    }

    /// <summary>Starts a scrape of an observable instrument; series it does not report again are forgotten.</summary>
    public void BeginCollection() => _collection++;

    public void EndCollection()
    {
        lock (_createGate)
        {
            ForgetUnobserved();
        }
    }

    /// <summary>A moment-in-time view, good enough for a scrape: series added meanwhile show up in the next one.</summary>
    public IEnumerable<Series> Series => _series.Select(pair => pair.Value).Distinct();

    private Series? SeriesFor(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_lookup.TryGetValue(new MeasurementTags(tags), out var series))
        {
            series = Create(tags);
            if (series is null)
            {
                return null;
            }
        }

        if (Observable)
        {
            series.ObservedIn = _collection;
        }

        return series;
    }

    private Series? Create(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // At the cap a new tag set is dropped before anything is allocated, so a cardinality explosion stays cheap.
        // Tags that repeat a key never match the span probe, so only those still need the normalised lookup below.
        // A new tag set that would only alias an existing series (200 vs 200L) is dropped here too: rare, and cheap.
        if (!Observable && Volatile.Read(ref _seriesCount) >= _maxSeries && !HasDuplicateKeys(tags))
        {
            Drop();
            return null;
        }

        var key = SeriesKey.Create(tags);
        if (_series.TryGetValue(key, out var existing))
        {
            return existing;
        }

        lock (_createGate)
        {
            if (_series.TryGetValue(key, out existing))
            {
                return existing;
            }

            if (_byLabels.TryGetValue(key.Labels, out existing))
            {
                // Remembering the alias makes the next lookup fast; it takes a place under the cap so odd tag values cannot grow memory.
                if (_seriesCount < _maxSeries)
                {
                    _series[key] = existing;
                    _seriesCount++;
                }

                return existing;
            }

            if (_seriesCount >= _maxSeries && Observable)
            {
                // Observable series only hold the last report, so ones not reported yet in this collection can go
                // and come back without losing anything; that keeps vanished tag sets from blocking new ones.
                ForgetUnobserved();
            }

            if (_seriesCount >= _maxSeries)
            {
                Drop();
                return null;
            }

            Series series = _aggregation switch
            {
                Aggregation.Sum => new SumSeries(key),
                Aggregation.LastValue => new LastValueSeries(key),
                _ => new HistogramSeries(key, _bounds),
            };
            _series[key] = series;
            _byLabels[key.Labels] = series;
            _seriesCount++;
            return series;
        }
    }

    // Callers hold _createGate.
    private void ForgetUnobserved()
    {
        foreach (var (key, series) in _series)
        {
            if (series.ObservedIn != _collection && _series.TryRemove(key, out _))
            {
                _seriesCount--;
                _byLabels.Remove(key.Labels);
            }
        }
    }

    private void Drop()
    {
        _dropped.Add();
        if (Interlocked.Exchange(ref _capReachedReported, 1) == 0)
        {
            _capReached(this);
        }
    }

    private static bool HasDuplicateKeys(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        for (var i = 1; i < tags.Length; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (string.Equals(tags[i].Key, tags[j].Key, StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
