using MassTransit;

namespace Platform.Messaging.Tests.Bus;

/// <summary>
/// A steady publish load, like a relay's: up to <see cref="PerTick"/> publishes in flight every 10 ms (about 2,000
/// messages a second at most), each given two seconds; failures while the broker is down are expected and ignored.
/// Bounded: it stops by itself after the duration it was started for, or when disposed.
/// </summary>
internal sealed class PublishLoad : IAsyncDisposable
{
    private const int PerTick = 20;

    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;
    private long _attempted;

    private PublishLoad(IBus bus, TimeSpan duration)
    {
        _stop = new CancellationTokenSource(duration);
        _loop = RunAsync(bus);
    }

    /// <summary>Sequence number of the last publish started (sequences start at 1).</summary>
    public long Attempted => Interlocked.Read(ref _attempted);

    public static PublishLoad Start(IBus bus, TimeSpan duration) => new(bus, duration);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task RunAsync(IBus bus)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        var publishes = new Task[PerTick];
        try
        {
            while (await pace.WaitForNextTickAsync(_stop.Token))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                for (var i = 0; i < PerTick; i++)
                {
                    publishes[i] = bus.Publish(new LoadTick(Interlocked.Increment(ref _attempted)), timeout.Token);
                }

                try
                {
                    await Task.WhenAll(publishes);
                }
                catch (Exception)
                {
                    // Broker down or reconnecting (or the load stopping): the load goes on, as a relay's would.
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}
