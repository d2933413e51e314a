namespace Platform.DeadLetters.Mover;

/// <summary>Test seam: runs after a delivery's row is committed and before it is acked (to kill the mover right there).</summary>
internal sealed class DeadLetterMoverHooks
{
    public Func<DeadLetterRecord, CancellationToken, Task>? AfterCommitAsync { get; init; }
}
