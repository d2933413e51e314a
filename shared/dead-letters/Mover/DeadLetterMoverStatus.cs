namespace Platform.DeadLetters.Mover;

/// <summary>What the mover last reported, for the readiness check.</summary>
internal sealed class DeadLetterMoverStatus(TimeProvider time)
{
    private readonly Lock _gate = new();
    private string? _problem = "starting";
    private DateTimeOffset _since = time.GetUtcNow();
    private IReadOnlyList<string> _consuming = [];
    private IReadOnlyList<string> _waiting = [];

    /// <summary>Connected, and consuming every error queue that exists.</summary>
    public bool IsConnected
    {
        get
        {
            lock (_gate)
            {
                return _problem is null;
            }
        }
    }

    public IReadOnlyList<string> Consuming
    {
        get
        {
            lock (_gate)
            {
                return _consuming;
            }
        }
    }

    public void Connected(IReadOnlyList<string> consuming, IReadOnlyList<string> waiting)
    {
        lock (_gate)
        {
            if (_problem is not null)
            {
                _since = time.GetUtcNow();
            }

            (_problem, _consuming, _waiting) = (null, consuming, [.. waiting]);
        }
    }

    public void Disconnected(string problem)
    {
        lock (_gate)
        {
            if (_problem is null)
            {
                _since = time.GetUtcNow();
            }

            (_problem, _consuming) = (problem, []);
        }
    }

    public (string? Problem, DateTimeOffset Since, IReadOnlyList<string> Consuming, IReadOnlyList<string> Waiting) Snapshot()
    {
        lock (_gate)
        {
            return (_problem, _since, _consuming, _waiting);
        }
    }
}
