using Platform.Testing;
using Platform.Testing.BadInput;

namespace AnalyticsAggregator.Tests.BadInput;

/// <summary>
/// Generated poison sent raw to the ingest queue, one kind per case: each message ends in
/// <c>analytics-aggregator_error</c> once, unchanged, with MassTransit-compatible fault headers (so the dead-letter mover
/// can store it); nothing is redelivered for ever; and a valid event sent afterwards is ingested.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class IngestQueueBadInputTests(IngestQueueFixture fixture) : IClassFixture<IngestQueueFixture>
{
    public static TheoryData<PoisonKind> Kinds => [.. IngestQueueFixture.Contract.Kinds];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task PoisonEndsInTheErrorQueueOnceWithAReasonAndValidEventsStillLand(PoisonKind kind)
    {
        var poison = PoisonMessages.For(IngestQueueFixture.Contract, kind, fixture.RunMarker);

        await fixture.SendAsync(poison);
        await fixture.Watch.WaitForAsync(poison, BadInputSettings.Deadline(TimeSpan.FromSeconds(15)));
        await fixture.WaitForIngestedAsync(await fixture.SendValidViewAsync());

        await fixture.Watch.AssertEachDeadLetteredOnceWithAReasonAsync(poison);
        await fixture.Watch.AssertNoneSeenTwiceAsync();
    }
}

/// <summary>One poison event must not take the valid events it arrives with down with it.</summary>
[Trait("Category", "BadInput")]
public sealed class IngestBatchBadInputTests(SlowBatchIngestFixture fixture) : IClassFixture<SlowBatchIngestFixture>
{
    [Fact]
    public async Task ValidEventsArrivingWithAPoisonOneAreStillIngested()
    {
        // Sent within one batch window (1 s): an event without a message id between two valid ones.
        var poison = PoisonMessages.For(IngestQueueFixture.Contract, PoisonKind.InvalidValues, fixture.RunMarker).Take(1).ToList();
        var before = await fixture.SendValidViewAsync(fixture.RunMarker + "/valid-before");
        await fixture.SendAsync(poison);
        var after = await fixture.SendValidViewAsync(fixture.RunMarker + "/valid-after");

        // Each valid event either lands, or (wrongly) ends in the error queue: wait for one or the other.
        var outcomes = new Dictionary<string, Guid> { ["valid-before"] = before, ["valid-after"] = after };
        await Eventually.TrueAsync(async () =>
        {
            foreach (var (name, id) in outcomes)
            {
                if (!await fixture.IsIngestedAsync(id) && !await fixture.Watch.InErrorQueueAsync($"{fixture.RunMarker}/{name}"))
                {
                    return false;
                }
            }

            return true;
        }, IngestQueueFixture.Deadline, "both valid events settled");

        foreach (var (name, id) in outcomes)
        {
            Assert.True(await fixture.IsIngestedAsync(id),
                $"the {name} event {id} was not ingested: it is in {fixture.Watch.ErrorQueue}, dead-lettered with the poison event of its batch");
        }

        await fixture.Watch.WaitForAsync(poison, BadInputSettings.Deadline(TimeSpan.FromSeconds(15)));
        await fixture.Watch.AssertEachDeadLetteredOnceWithAReasonAsync(poison);
    }
}
