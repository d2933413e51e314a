using System.Text;
using Platform.Testing.BadInput;
using Xunit.Abstractions;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// Whole classes of hostile input, generated for every <c>/ops/dead-letters</c> endpoint, field and parameter they apply
/// to (issue #13): every refusal under every Accept header; strings PostgreSQL cannot store (NUL, lone surrogates) in
/// every query parameter, body field and route value; times and durations at the ends of the calendar in every
/// <c>since</c>; numbers written as strings and duplicate keys in every JSON body. Bodies end in <c>"dryRun": true</c>
/// (or name ids that do not exist), so accepting one changes nothing; the store is compared before and after.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class OpsInputClassTests(OpsApiFixture fixture, ITestOutputHelper output) : IClassFixture<OpsApiFixture>
{
    private const string Base = "/ops/dead-letters";

    private static readonly string[] QueryParameters = ["type", "exception", "since", "queue", "group", "status", "limit"];

    private static readonly string[] BodyStringFields = ["group", "type", "exception", "since", "queue"];

    [Fact]
    public async Task EveryRefusalUnderEveryAcceptHeaderIsAProblemDetailsOrABareStatus()
    {
        var before = await fixture.SnapshotAsync();
        var all = Encoding.UTF8.GetBytes("{\"all\": true, \"dryRun\": true}");
        var huge = Encoding.UTF8.GetBytes("{\"all\": true, \"dryRun\": true, \"type\": \"" + BadInputGenerator.Filler(300 * 1024) + "\"}");
        (string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, (string, string)[] Headers, int[] Status)[] refusals =
        [
            ("no key", HttpMethod.Get, Base, null, null, [], [401]),
            ("unknown key", HttpMethod.Post, Base + "/replay", all, "application/json", [("X-Api-Key", "not-a-key-of-this-install")], [401]),
            ("missing scope", HttpMethod.Get, Base + "/groups", null, null, [("X-Api-Key", OpsApiFixture.WriterKey)], [403]),
            ("unknown route", HttpMethod.Get, "/ops/nothing-here", null, null, [("X-Api-Key", OpsApiFixture.AdminKey)], [404]),
            ("no such dead letter", HttpMethod.Get, Base + "/999999", null, null, [("X-Api-Key", OpsApiFixture.AdminKey)], [404]),
            ("invalid query", HttpMethod.Get, Base + "?limit=0", null, null, [("X-Api-Key", OpsApiFixture.AdminKey)], [400]),
            ("wrong method", HttpMethod.Put, Base + "/replay", all, "application/json", [("X-Api-Key", OpsApiFixture.AdminKey)], [405]),
            ("wrong content type", HttpMethod.Post, Base + "/purge", all, "text/plain", [("X-Api-Key", OpsApiFixture.AdminKey)], [415]),
            ("malformed JSON", HttpMethod.Post, Base + "/replay", "{\"all\":"u8.ToArray(), "application/json", [("X-Api-Key", OpsApiFixture.AdminKey)], [400]),
            ("body too large", HttpMethod.Post, Base + "/replay", huge, "application/json", [("X-Api-Key", OpsApiFixture.AdminKey)], [413]),
            ("no such id", HttpMethod.Post, Base + "/replay", "{\"ids\": [999999], \"dryRun\": true}"u8.ToArray(), "application/json", [("X-Api-Key", OpsApiFixture.AdminKey)], [404]),
        ];
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var accept in BadInputGenerator.AcceptHeaders)
        {
            foreach (var (name, method, path, body, contentType, headers, status) in refusals)
            {
                await run.SendAsync(fixture.Client, new HttpCase("ops/" + name, index++, 0, method, path)
                {
                    Class = "accept × refusal",
                    Body = body,
                    ContentType = contentType,
                    Headers = [.. headers, ("Accept", accept)],
                    ExpectStatus = status,
                });
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task UnstorableStringsInEveryQueryParameterBodyFieldAndRouteValueAreA400NamingIt()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var parameter in QueryParameters)
        {
            foreach (var nul in BadInputGenerator.EncodedNul)
            {
                await run.SendAsync(fixture.Client, Admin("unstorable string in a query parameter", index++, HttpMethod.Get, $"{Base}?{parameter}={nul}") with
                {
                    ExpectField = parameter,
                    ExpectStatus = [400],
                });
            }

            foreach (var notUtf8 in BadInputGenerator.EncodedNotUtf8)
            {
                await run.SendAsync(fixture.Client, Admin("text that is not UTF-8 in a query parameter", index++, HttpMethod.Get, $"{Base}?{parameter}={notUtf8}"));
            }
        }

        foreach (var text in BadInputGenerator.UnstorableStrings)
        {
            foreach (var action in new[] { "replay", "purge" })
            {
                foreach (var field in BodyStringFields)
                {
                    List<(string, string)> members = field == "group" ? [] : [("all", "true")];
                    members.Add((field, BadInputGenerator.JsonEscaped(text)));
                    members.Add(("dryRun", "true"));
                    await run.SendAsync(fixture.Client, Post("unstorable string in a body field", index++, action, members) with { ExpectField = field, ExpectStatus = [400] });
                }
            }
        }

        foreach (var value in BadInputGenerator.EncodedNul.Concat(BadInputGenerator.EncodedNotUtf8))
        {
            await run.SendAsync(fixture.Client, Admin("unstorable string in a route value", index++, HttpMethod.Get, $"{Base}/{value}") with { ExpectStatus = [400] });
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task TimesAndDurationsAtTheEndsOfTheCalendarInEverySinceAreA400StatingTheRange()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var since in BadInputGenerator.DurationEdges.Concat(BadInputGenerator.TimeEdges))
        {
            await run.SendAsync(fixture.Client, Admin("time or duration edge", index++, HttpMethod.Get, $"{Base}?since={Uri.EscapeDataString(since)}") with
            {
                ExpectField = "since",
                ExpectStatus = [400],
                ExpectReason = BadInputGenerator.StatesRange,
            });
            foreach (var action in new[] { "replay", "purge" })
            {
                await run.SendAsync(fixture.Client, Post("time or duration edge", index++, action, [("all", "true"), ("since", Json(since)), ("dryRun", "true")]) with
                {
                    ExpectField = "since",
                    ExpectStatus = [400],
                    ExpectReason = BadInputGenerator.StatesRange,
                });
            }
        }

        // Inside the range, a filter by time still works.
        await run.SendAsync(fixture.Client, Admin("time or duration edge", index++, HttpMethod.Get, $"{Base}?since=7d") with { ExpectStatus = [200] });
        await run.SendAsync(fixture.Client, Admin("time or duration edge", index, HttpMethod.Get, $"{Base}?since=2026-01-01T00:00:00Z") with { ExpectStatus = [200] });
        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task NumbersWrittenAsStringsAndDuplicateKeysInEveryBodyAreA400NamingTheField()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        var index = 0;
        foreach (var action in new[] { "replay", "purge" })
        {
            // The review's example: {"ids": ["1"]} replayed dead letter 1. Written as a dry run here, so accepting it changes nothing.
            foreach (var ids in new[] { "[\"1\"]", "[1, \"2\"]", "[\"999999\"]", "[\"0x1\"]" })
            {
                await run.SendAsync(fixture.Client, Post("number written as a string", index++, action, [("ids", ids), ("dryRun", "true")]) with
                {
                    ExpectField = "ids",
                    ExpectStatus = [400],
                    MustNotSucceed = true,
                });
            }

            foreach (var field in new[] { "all", "dryRun", "confirm" })
            {
                List<(string, string)> members = field == "all" ? [] : [("all", "true")];
                members.Add((field, "\"true\""));
                if (field != "dryRun")
                {
                    members.Add(("dryRun", "true"));
                }

                await run.SendAsync(fixture.Client, Post("boolean written as a string", index++, action, members) with { ExpectField = field, ExpectStatus = [400], MustNotSucceed = true });
            }

            // Each field twice, both values valid, dryRun true last: before the fix the last one won silently.
            (string Field, string First, string Again)[] twice =
            [
                ("ids", "[999998]", "[999999]"), ("all", "true", "true"), ("group", "\"0123456789abcdef\"", "\"fedcba9876543210\""),
                ("type", "\"A\"", "\"B\""), ("exception", "\"A\"", "\"B\""), ("since", "\"1d\"", "\"2d\""), ("queue", "\"q\"", "\"q\""),
                ("confirm", "true", "true"), ("dryRun", "false", "true"),
            ];
            foreach (var (field, first, again) in twice)
            {
                List<(string, string)> members = field is "ids" or "all" or "group" ? [] : [("all", "true")];
                members.Add((field, first));
                members.Add((field, again));
                if (field != "dryRun")
                {
                    members.Add(("dryRun", "true"));
                }

                await run.SendAsync(fixture.Client, Post("duplicate key", index++, action, members) with { ExpectField = field, ExpectStatus = [400], MustNotSucceed = true });
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    private static HttpCase Admin(string @class, int index, HttpMethod method, string path) =>
        new("ops/" + @class, index, 0, method, path) { Class = @class, Headers = [("X-Api-Key", OpsApiFixture.AdminKey)], ContentType = null };

    private static HttpCase Post(string @class, int index, string action, IEnumerable<(string Name, string Json)> members) =>
        Admin(@class, index, HttpMethod.Post, $"{Base}/{action}") with
        {
            Body = Encoding.UTF8.GetBytes(BadInputGenerator.Object(members)),
            ContentType = "application/json",
        };

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
