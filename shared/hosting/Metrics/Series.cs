namespace Platform.Hosting.Metrics;

/// <summary>The running value of one tag set. Recording is lock-free except for histograms (one lock per series).</summary>
internal abstract class Series(SeriesKey key)
{
    public SeriesKey Key { get; } = key;

    /// <summary>Collection in which an observable instrument last reported this series; only touched while collecting.</summary>
    public long ObservedIn { get; set; }

    public abstract void Record(long value);

    public abstract void Record(double value);
}

/// <summary>Counters and up-down counters: the sum of every measurement.</summary>
internal sealed class SumSeries(SeriesKey key) : Series(key)
{
    // Integral instruments add to a long so totals stay exact past 2^53; floating ones to a double.
    private long _integral;
    private double _floating;

    public override void Record(long value) => Interlocked.Add(ref _integral, value);

    public override void Record(double value)
    {
        var seen = Volatile.Read(ref _floating);
        while (true)
        {
            var actual = Interlocked.CompareExchange(ref _floating, seen + value, seen);
            // Compare bits: NaN never equals itself and would spin forever.
            if (BitConverter.DoubleToInt64Bits(actual) == BitConverter.DoubleToInt64Bits(seen))
            {
                return;
            }

            seen = actual;
        }
    }

    public string FormatValue()
    {
        var integral = Interlocked.Read(ref _integral);
        var floating = Volatile.Read(ref _floating);
        return floating == 0
            ? PrometheusNaming.FormatNumber(integral)
            : PrometheusNaming.FormatNumber(integral + floating);
    }
}

/// <summary>Gauges and observable instruments (which report their current total): the last measurement.</summary>
internal sealed class LastValueSeries(SeriesKey key) : Series(key)
{
    private double _value;

    public override void Record(long value) => Record((double)value);

    public override void Record(double value) => Interlocked.Exchange(ref _value, value);

    public string FormatValue() => PrometheusNaming.FormatNumber(Volatile.Read(ref _value));
}

/// <summary>Histograms: a count per bucket, the sum and the count, updated together under one lock.</summary>
internal sealed class HistogramSeries(SeriesKey key, double[] bounds) : Series(key)
{
    private readonly Lock _gate = new();
    private readonly long[] _buckets = new long[bounds.Length + 1];
    private double _sum;
    private long _count;

    public double[] Bounds { get; } = bounds;

    public override void Record(long value) => Record((double)value);

    public override void Record(double value)
    {
        // A single NaN or infinity would make the sum meaningless for the life of the process.
        if (!double.IsFinite(value))
        {
            return;
        }

        // Buckets are "less than or equal": an exact hit lands in that bound's bucket, otherwise the next one up (+Inf last).
        var index = Array.BinarySearch(Bounds, value);
        if (index < 0)
        {
            index = ~index;
        }

        lock (_gate)
        {
            _buckets[index]++;
            _sum += value;
            _count++;
        }
    }

    /// <summary>Cumulative bucket counts (the last one is +Inf, equal to the count), the sum and the count, from one instant.</summary>
    public (long[] Cumulative, double Sum, long Count) Snapshot()
    {
        var cumulative = new long[_buckets.Length];
        double sum;
        long count;
        lock (_gate)
        {
            long running = 0;
            for (var i = 0; i < _buckets.Length; i++)
            {
                running += _buckets[i];
                cumulative[i] = running;
            }

            sum = _sum;
            count = _count;
        }

        return (cumulative, sum, count);
    }
}
