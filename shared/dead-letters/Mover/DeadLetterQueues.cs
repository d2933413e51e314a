using Microsoft.Extensions.Options;
using Platform.Messaging.Bus;

namespace Platform.DeadLetters.Mover;

/// <summary>The error queues of this deployment as declared on the broker (bus entity prefix applied).</summary>
internal sealed class DeadLetterQueues(IOptions<DeadLetterOptions> options, IOptions<BusOptions> bus)
{
    public IReadOnlyList<string> Names { get; } = DeadLetterOptions.Prefixed(options.Value.EffectiveQueues, bus.Value.EntityPrefix);
}
