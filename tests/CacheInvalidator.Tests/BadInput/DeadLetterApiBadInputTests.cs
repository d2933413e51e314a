using System.Text;
using Platform.Testing.BadInput;
using Xunit.Abstractions;

namespace CacheInvalidator.Tests.BadInput;

/// <summary>
/// Generated hostile requests against every <c>/ops/dead-letters</c> endpoint (list with filters, groups, history, show,
/// replay, purge): no 5xx, every error a ProblemDetails (a 400 naming the bad field and why), bad or missing keys and
/// scopes refused, and the stored dead letters and history unchanged afterwards. Replay and purge bodies always say
/// <c>"dryRun": true</c> last or carry a <c>dryRun</c> of the wrong type, so no generated body may change the store.
/// </summary>
[Trait("Category", "BadInput")]
public sealed class DeadLetterApiBadInputTests(OpsApiFixture fixture, ITestOutputHelper output) : IClassFixture<OpsApiFixture>
{
    private const string Base = "/ops/dead-letters";

    private static readonly string[] ListParameters = ["type", "exception", "since", "queue", "group", "status", "limit", "x"];

    private static readonly string[] SelectionFields = ["ids", "group", "all", "type", "exception", "since", "queue", "confirm"];

    private static readonly string[] DryRunValues = ["true", "\"true\"", "1", "null", "[]", "{}", "\"yes\"", "0"];

    /// <summary>Values each query parameter must refuse, with a 400 naming it.</summary>
    private static readonly Dictionary<string, string[]> BadQuery = new()
    {
        ["limit"] = ["0", "-1", "1001", "abc", "1.5", " 5", "+5", "99999999999", "", "٥", "1e3", "0x10"],
        ["since"] = ["yesterday", "soon", "", "1y", "-5m", "9999999s", "2026-13-45", "\u0000", "'; DROP TABLE x; --"],
        ["status"] = ["lost", "", "deleted", "1", "*", "stored;purged", "😀"],
        ["group"] = ["xyz", "0123456789abcde", "0123456789abcdeff", "g123456789abcdef", "", "' OR 1=1 --"],
        ["type"] = ["", " ", new string('t', 501), "a\u0000b"],
        ["exception"] = ["", "\t", new string('e', 501), "\u0000"],
        ["queue"] = ["", "  ", new string('q', 501), "q\u0000"],
    };

    private static readonly string[] BadIds = ["abc", "0", "-1", "99999999999999999999", "1.5", "1e3", "٣", "+1", "0x1", "null", "%00"];

    /// <summary>Body fields of a replay or purge of everything (dry run) with one of them wrong.</summary>
    private static readonly (string Field, string[] Json)[] BadBodyFields =
    [
        ("since", ["\"yesterday\"", "\"\"", "5", "[]", "\"9999999d\""]),
        ("group", ["\"xyz\"", "\"\"", "5", "\"0123456789abcdeff\""]),
        ("type", ["\"\"", "\" \"", "\"" + new string('t', 501) + "\"", "5", "{}"]),
        ("exception", ["\"\"", "\"" + new string('e', 501) + "\"", "[]"]),
        ("queue", ["\"\"", "\"" + new string('q', 501) + "\"", "true"]),
        ("ids", ["[0]", "[-1]", "\"1\"", "[1.5]", "[99999999999999999999]", "{}", "[" + string.Join(',', Enumerable.Range(1, 10_001)) + "]"]),
        ("all", ["\"true\"", "1", "null", "[]"]),
    ];

    [Fact]
    public async Task GeneratedQueriesAndIdsNeverCauseA5xxAndErrorsAreProblemDetails()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            await run.SendAsync(fixture.Client, ListCase(i));
            await run.SendAsync(fixture.Client, HistoryCase(i));
            await run.SendAsync(fixture.Client, GroupsCase(i));
            await run.SendAsync(fixture.Client, ShowCase(i));
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task GeneratedReplayAndPurgeBodiesNeverCauseA5xxNorChangeTheStore()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            foreach (var action in new[] { "replay", "purge" })
            {
                await run.SendAsync(fixture.Client, BodyCase(action, i));
                await run.SendAsync(fixture.Client, BadFieldCase(action, i));
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    [Fact]
    public async Task BadKeysWrongMethodsHugeBodiesAndWrongContentTypesAreProblemDetails()
    {
        var before = await fixture.SnapshotAsync();
        var run = new HttpBadInputRun();
        (HttpMethod Method, string Path)[] endpoints =
        [
            (HttpMethod.Get, Base), (HttpMethod.Get, Base + "/groups"), (HttpMethod.Get, Base + "/history"), (HttpMethod.Get, Base + "/1"),
            (HttpMethod.Post, Base + "/replay"), (HttpMethod.Post, Base + "/purge"),
        ];
        for (var i = 0; i < BadInputSettings.Cases; i++)
        {
            var g = BadInputGenerator.For("ops/envelope", i);
            var (method, path) = endpoints[i % endpoints.Length];
            var body = method == HttpMethod.Post ? Encoding.UTF8.GetBytes("{\"all\": true, \"confirm\": true}") : null;
            var key = g.Random.Next(5) switch
            {
                0 => g.HeaderValue(),
                1 => OpsApiFixture.WriterKey,
                2 => OpsApiFixture.AdminKey + "x",
                3 => OpsApiFixture.AdminKey.ToUpperInvariant(),
                _ => OpsApiFixture.AdminKey[..^1],
            };
            var name = $"{method} {path}";
            await run.SendAsync(fixture.Client, new HttpCase("ops/auth " + name, i, g.Seed, method, path)
            {
                Class = "bad or missing key",
                Body = body,
                Headers = g.OneIn(3) ? [] : [("X-Api-Key", key)],
                ExpectStatus = [401, 403],
            });
            await run.SendAsync(fixture.Client, new HttpCase("ops/method " + name, i, g.Seed, g.Pick([HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch]), path)
            {
                Class = "wrong method",
                Body = body,
                Headers = [("X-Api-Key", OpsApiFixture.AdminKey)],
                MustNotSucceed = true,
            });
            if (method == HttpMethod.Post)
            {
                var huge = "{\"all\": true, \"confirm\": true, \"type\": \"" + BadInputGenerator.Filler(g.Pick([300 * 1024, 1024 * 1024])) + "\"}";
                await run.SendAsync(fixture.Client, new HttpCase("ops/huge " + name, i, g.Seed, method, path)
                {
                    Class = "body too large",
                    Body = Encoding.UTF8.GetBytes(huge),
                    Headers = [("X-Api-Key", OpsApiFixture.AdminKey)],
                    ExpectStatus = [413],
                });
                await run.SendAsync(fixture.Client, new HttpCase("ops/content-type " + name, i, g.Seed, method, path)
                {
                    Class = "wrong content type",
                    Body = body,
                    ContentType = g.Pick(["text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=utf-32", "image/png"]),
                    Headers = [("X-Api-Key", OpsApiFixture.AdminKey)],
                    ExpectStatus = [400, 415],
                });
            }
        }

        run.AssertClean(output);
        Assert.Equal(before, await fixture.SnapshotAsync());
    }

    private static HttpCase Admin(string target, int index, BadInputGenerator g, HttpMethod method, string path) =>
        new(target, index, g.Seed, method, path) { Class = target, Headers = [("X-Api-Key", OpsApiFixture.AdminKey)], ContentType = null };

    private static HttpCase ListCase(int i)
    {
        var g = BadInputGenerator.For("ops/list", i);
        if (i % 3 == 0)
        {
            var (name, values) = g.Pick(BadQuery.ToList());
            return Admin("ops/list", i, g, HttpMethod.Get, $"{Base}?{name}={BadInputGenerator.Escape(g.Pick(values))}") with { ExpectField = name, ExpectStatus = [400] };
        }

        var query = string.Join('&', ListParameters.Where(_ => g.OneIn(2)).Select(p => $"{p}={BadInputGenerator.Escape(g.QueryValue())}"));
        return Admin("ops/list", i, g, HttpMethod.Get, $"{Base}?{query}");
    }

    private static HttpCase HistoryCase(int i)
    {
        var g = BadInputGenerator.For("ops/history", i);
        return i % 2 == 0
            ? Admin("ops/history", i, g, HttpMethod.Get, $"{Base}/history?limit={BadInputGenerator.Escape(g.Pick(BadQuery["limit"]))}") with { ExpectField = "limit", ExpectStatus = [400] }
            : Admin("ops/history", i, g, HttpMethod.Get, $"{Base}/history?limit={BadInputGenerator.Escape(g.QueryValue())}&{g.PathSegment()}={g.PathSegment()}");
    }

    private static HttpCase GroupsCase(int i)
    {
        var g = BadInputGenerator.For("ops/groups", i);
        return Admin("ops/groups", i, g, HttpMethod.Get, $"{Base}/groups?{g.PathSegment()}={g.PathSegment()}&limit={BadInputGenerator.Escape(g.Number())}");
    }

    private static HttpCase ShowCase(int i)
    {
        var g = BadInputGenerator.For("ops/show", i);
        return g.Random.Next(3) switch
        {
            0 => Admin("ops/show", i, g, HttpMethod.Get, $"{Base}/{BadInputGenerator.Escape(g.Pick(BadIds))}") with { ExpectField = "id", ExpectStatus = [400] },
            1 => Admin("ops/show", i, g, HttpMethod.Get, $"{Base}/{Invariant.Of(g.Random.NextInt64(1000, long.MaxValue))}") with { ExpectField = "id", ExpectStatus = [404] },
            _ => Admin("ops/show", i, g, HttpMethod.Get, $"{Base}/{g.PathSegment()}"),
        };
    }

    /// <summary>A messy body whose <c>dryRun</c> (written last, so no duplicate key overrides it) is true or of the wrong type.</summary>
    private static HttpCase BodyCase(string action, int i)
    {
        var g = BadInputGenerator.For("ops/" + action, i);
        var dryRun = g.Pick(DryRunValues);
        return Admin("ops/" + action, i, g, HttpMethod.Post, $"{Base}/{action}") with
        {
            Body = g.Body(SelectionFields, ("dryRun", dryRun)),
            ContentType = g.OneIn(8) ? null : "application/json",
            MustNotSucceed = dryRun != "true",
        };
    }

    /// <summary>A dry run of everything with exactly one field wrong: a 400 that names it.</summary>
    private static HttpCase BadFieldCase(string action, int i)
    {
        var g = BadInputGenerator.For($"ops/{action}/field", i);
        var (field, values) = g.Pick(BadBodyFields);
        List<(string, string)> members = field == "all" ? [] : [("all", "true")];
        members.Add((field, g.Pick(values)));
        members.Add(("dryRun", "true"));
        return Admin($"ops/{action}/field", i, g, HttpMethod.Post, $"{Base}/{action}") with
        {
            Body = Encoding.UTF8.GetBytes(BadInputGenerator.Object(members)),
            ContentType = "application/json",
            ExpectField = field,
            ExpectStatus = [400],
        };
    }
}
