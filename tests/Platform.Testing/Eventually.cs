namespace Platform.Testing;

/// <summary>Waits on a condition with a deadline: the only way tests wait for asynchronous effects.</summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls until <paramref name="condition"/> is true; fails the test with <paramref name="what"/> at the deadline.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what = "condition")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not met within {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Polls until <paramref name="probe"/> returns a value; returns it, or fails at the deadline.</summary>
    public static async Task<T> ReturnsAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what = "value")
        where T : struct
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} not produced within {timeout.TotalSeconds:0.#} s");
            }

            await Task.Delay(Poll);
        }
    }
}
