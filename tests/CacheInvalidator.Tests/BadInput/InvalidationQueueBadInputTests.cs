using Platform.Testing.BadInput;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// Generated poison sent raw to the invalidator's queue, one kind per case: each message ends in
/// <c>cache-invalidator_error</c> once, unchanged, with MassTransit's fault headers saying why (a type no consumer takes: in
/// <c>cache-invalidator_skipped</c>, which the dead-letter mover drains too); nothing is redelivered
/// for ever; and the next valid invalidation still evicts.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class InvalidationQueueBadInputTests(InvalidatorQueueFixture fixture) : IClassFixture<InvalidatorQueueFixture>
{
    public static TheoryData<PoisonKind> Kinds => [.. InvalidatorQueueFixture.Contract.Kinds];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task PoisonEndsInTheErrorQueueOnceWithAReasonAndValidInvalidationsStillEvict(PoisonKind kind)
    {
        var poison = PoisonMessages.For(InvalidatorQueueFixture.Contract, kind, fixture.RunMarker);

        await fixture.SendAsync(poison);
        await fixture.Watch.WaitForAsync(poison, BadInputSettings.Deadline(TimeSpan.FromSeconds(15)));
        await fixture.AssertAValidInvalidationStillEvictsAsync();

        await fixture.Watch.AssertEachDeadLetteredOnceWithAReasonAsync(poison);
        await fixture.Watch.AssertNoneSeenTwiceAsync();
    }
}
