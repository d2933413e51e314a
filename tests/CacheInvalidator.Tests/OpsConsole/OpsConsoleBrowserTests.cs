using System.Net;
using Microsoft.Playwright;
using Platform.Caching;
using Platform.Contracts.Caching;
using Platform.Testing;
using static Microsoft.Playwright.Assertions;

namespace CacheInvalidator.Tests.OpsConsole;

/// <summary>The ops console in a real browser (Debian's Chromium through Playwright) against the real invalidator and servers.</summary>
public sealed class OpsConsoleBrowserTests(OpsConsoleFixture fixture) : IClassFixture<OpsConsoleFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task OpsReplayADeadLetterAfterADryRunAndTheHistoryNamesThem()
    {
        var productKey = CacheNames.Product(Random.Shared.NextInt64(100_000, 1_000_000));
        await using var node = await fixture.StartCacheNodeAsync();
        await node.SetAsync(productKey, "v1");
        var id = await fixture.StoreDeadLetterAsync(productKey, "price import 2026-12-05");
        await using var context = await fixture.NewContextAsync();

        var page = await context.NewPageAsync();
        await page.GotoAsync("/ops/console/login");
        await fixture.ScreenshotAsync(page, "01-login");
        await page.FillAsync("#key", fixture.ActorKey);
        await page.ClickAsync("button[type=submit]");

        await Expect(page).ToHaveURLAsync(new Uri(fixture.BaseAddress, "/ops/console/dead-letters").ToString());
        await Expect(page.Locator("#actor")).ToHaveTextAsync(fixture.ActorName);
        await Expect(page.Locator($"#dead-letters tr[data-id='{id}']")).ToContainTextAsync("RedisConnectionException");
        await Expect(page.Locator("#status-dead-letters")).ToContainTextAsync("oldest");
        await fixture.ScreenshotAsync(page, "02-dead-letters");

        await page.ClickAsync($"#dead-letters a[href='/ops/console/dead-letters/{id}']");
        await Expect(page.Locator("#status")).ToHaveTextAsync("stored");
        // Pretty-printed: one member per line, indented.
        await Expect(page.Locator("#body")).ToContainTextAsync("\n    \"source\": \"pricing-service\"");
        await Expect(page.Locator("#headers")).ToContainTextAsync("MT-Fault-ExceptionType");
        await fixture.ScreenshotAsync(page, "03-dead-letter");

        await page.ClickAsync("#replay-one");
        await Expect(page.Locator("#dry-run")).ToContainTextAsync("would replay 1 dead letter");
        await Expect(page.Locator($"#items tr[data-id='{id}'] .outcome")).ToHaveTextAsync("would-replay");
        await fixture.ScreenshotAsync(page, "04-replay-dry-run");
        Assert.Equal("stored", await StatusAsync(id));

        await page.ClickAsync("#confirm-replay");
        await Expect(page.Locator("#replay-result")).ToContainTextAsync("Replayed 1, failed 0, skipped 0");
        await fixture.ScreenshotAsync(page, "05-replay-result");

        await page.GotoAsync("/ops/console/dead-letters");
        await Expect(page.Locator($"#dead-letters tr[data-id='{id}']")).ToHaveCountAsync(0);
        await page.GotoAsync("/ops/console/history");
        var entry = page.Locator("#history tbody tr").Filter(new LocatorFilterOptions { Has = page.Locator($"a[href='/ops/console/dead-letters/{id}']") });
        await Expect(entry.Locator(".actor")).ToHaveTextAsync(fixture.ActorName);
        await Expect(entry.Locator(".origin")).ToHaveTextAsync("console");
        await Expect(entry).ToContainTextAsync("replay");
        await fixture.ScreenshotAsync(page, "06-history");

        // The replayed request was consumed for real: the invalidator evicted the key it names.
        var inspector = new CacheInspector(node);
        await Eventually.TrueAsync(async () => (await inspector.InspectAsync(productKey))!.InL2 is false, Deadline, "replayed request applied");
    }

    [Fact]
    public async Task PurgingSelectedDeadLettersShowsWhatWouldGoAndPurgesOnlyOnConfirmation()
    {
        var first = await fixture.StoreDeadLetterAsync("catalog:product:11", "purge test");
        var second = await fixture.StoreDeadLetterAsync("catalog:product:12", "purge test");
        var kept = await fixture.StoreDeadLetterAsync("catalog:product:13", "purge test");
        await using var context = await fixture.NewContextAsync();
        var page = await fixture.SignInAsync(context);
        await page.GotoAsync("/ops/console/dead-letters");

        await page.CheckAsync($"#dead-letters tr[data-id='{first}'] input[name=ids]");
        await page.CheckAsync($"#dead-letters tr[data-id='{second}'] input[name=ids]");
        await page.ClickAsync("#purge-selected");
        await Expect(page.Locator("#dry-run")).ToContainTextAsync("Would purge 2 dead letters");
        Assert.Equal(("stored", "stored"), (await StatusAsync(first), await StatusAsync(second)));

        await page.ClickAsync("#confirm-purge");
        await Expect(page.Locator("#purge-result")).ToContainTextAsync("Purged 2, skipped 0");
        Assert.Equal(("purged", "purged", "stored"), (await StatusAsync(first), await StatusAsync(second), await StatusAsync(kept)));
    }

    [Fact]
    public async Task InvalidatingAKeyFromTheConsoleMakesANodeServeTheNewValue()
    {
        var productId = Random.Shared.NextInt64(100_000, 1_000_000);
        var key = CacheNames.Product(productId);
        await using var node = await fixture.StartCacheNodeAsync();
        var inspector = new CacheInspector(node);
        Assert.Equal("v1", await node.GetOrSetAsync(key, (_, _) => Task.FromResult("v1"), tags: [CacheNames.ProductTag(productId)]));
        var before = (await inspector.InspectAsync(key))!;
        Assert.True(before.InL2);
        await using var context = await fixture.NewContextAsync();
        var page = await fixture.SignInAsync(context);

        await page.GotoAsync($"/ops/console/cache?key={Uri.EscapeDataString(key)}");
        await Expect(page.Locator("#lookup-result")).ToContainTextAsync("In L2");
        await Expect(page.Locator("#tags")).ToContainTextAsync(CacheNames.ProductTag(productId));
        await Expect(page.Locator("#start-sequence")).ToHaveTextAsync(before.StartSequence!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(page.Locator("#age")).Not.ToHaveTextAsync("unknown");
        await Expect(page.Locator("#keys")).ToHaveValueAsync(key);
        await page.FillAsync("#reason", "stale price after the 2026-12-05 import");
        await fixture.ScreenshotAsync(page, "07-cache-lookup");

        await page.ClickAsync("#invalidate");
        await Expect(page.Locator("#invalidate-result")).ToContainTextAsync($"1 key, 0 tags, by {fixture.ActorName}");
        await fixture.ScreenshotAsync(page, "08-cache-invalidated");

        // Through the bus, the invalidator and the backplane: L2 loses the entry, the sequence moves on, the node's L1 lets go.
        await Eventually.TrueAsync(async () => (await inspector.InspectAsync(key))!.InL2 is false, Deadline, "L2 entry gone");
        var after = (await inspector.InspectAsync(key))!;
        Assert.True(after.Sequence > before.Sequence, $"sequence {after.Sequence} after, {before.Sequence} before");
        Assert.True(after.KeyInvalidatedAt > before.Sequence, $"key invalidated at {after.KeyInvalidatedAt}, sequence was {before.Sequence}");
        await Eventually.TrueAsync(
            async () => await node.GetOrSetAsync(key, (_, _) => Task.FromResult("v2"), tags: [CacheNames.ProductTag(productId)]) == "v2", Deadline, "node serves v2");

        await page.GotoAsync($"/ops/console/cache?key={Uri.EscapeDataString("catalog:product:none-" + productId)}");
        await Expect(page.Locator("#lookup-result")).ToContainTextAsync("Not in L2");

        // The record names who asked and why, found by the key (written once the eviction is done, so it may trail it).
        var row = page.Locator("#records tbody tr");
        await Eventually.TrueAsync(
            async () =>
            {
                await page.GotoAsync($"/ops/console/cache/invalidations?key={Uri.EscapeDataString(key)}");
                return await row.CountAsync() == 1;
            },
            Deadline,
            "the request on record");
        await Expect(row.Locator(".actor")).ToHaveTextAsync(fixture.ActorName);
        await Expect(row.Locator(".source")).ToHaveTextAsync("ops-console");
        await Expect(row.Locator(".reason")).ToHaveTextAsync("stale price after the 2026-12-05 import");
        await Expect(row.Locator(".keys")).ToContainTextAsync(key);
        await fixture.ScreenshotAsync(page, "09-invalidation-record");

        await page.GotoAsync("/ops/console/cache/invalidations?since=yesterday");
        await Expect(page.Locator("#errors")).ToContainTextAsync("since");
    }

    [Fact]
    public async Task TheStatusStripShowsEachOutboxBacklogAndTheBackplane()
    {
        // No catalog relay runs here: an event written to the catalog's outbox waits, as it would while RabbitMQ is down.
        await using (var command = fixture.Database.DataSource.CreateCommand("""
            INSERT INTO catalog.outbox (message_id, message_type, payload, created_at)
            VALUES (gen_random_uuid(), 'urn:message:Platform.Contracts.Catalog:ProductUpdated', '{}', now() - interval '3 minutes 10 seconds')
            """))
        {
            await command.ExecuteNonQueryAsync();
        }

        await using var context = await fixture.NewContextAsync();
        var page = await fixture.SignInAsync(context);

        await Expect(page.Locator("#status-outbox-catalog")).ToHaveTextAsync("outbox catalog 1 (oldest 3 min)");
        await Expect(page.Locator("#status-outbox-analytics")).ToHaveTextAsync("outbox analytics 0");
        await Expect(page.Locator("#status-backplane")).ToContainTextAsync("backplane lag 0 (seq ");
        await Expect(page.Locator("#status-replays")).ToContainTextAsync("replays today");
    }

    [Fact]
    public async Task SignInSetsAnHttpOnlyStrictCookieForTheConsoleOnly()
    {
        await using var context = await fixture.NewContextAsync();
        var page = await fixture.SignInAsync(context);
        await Expect(page.Locator("#actor")).ToHaveTextAsync(fixture.ActorName);

        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "ops-console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/ops/console", cookie.Path);
        Assert.DoesNotContain(fixture.ActorKey, cookie.Value, StringComparison.Ordinal);

        // The JSON API takes X-Api-Key only: the console's cookie does not authorize it (so no cross-site request can use it).
        var viaCookie = await context.APIRequest.GetAsync("/ops/dead-letters/groups");
        Assert.Equal(401, viaCookie.Status);
        var viaKey = await context.APIRequest.GetAsync("/ops/dead-letters/groups", new APIRequestContextOptions { Headers = new Dictionary<string, string> { ["X-Api-Key"] = fixture.ActorKey } });
        Assert.Equal(200, viaKey.Status);
    }

    [Fact]
    public async Task APostWithoutTheAntiforgeryTokenIsRefused()
    {
        var id = await fixture.StoreDeadLetterAsync("catalog:product:1", "csrf test");
        await using var context = await fixture.NewContextAsync();
        var page = await fixture.SignInAsync(context);
        await page.GotoAsync($"/ops/console/dead-letters/{id}");
        var token = await page.Locator("form[action='/ops/console/dead-letters/replay'] input[name=__csrf]").GetAttributeAsync("value");

        var form = context.APIRequest.CreateFormData();
        form.Append("ids", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        form.Append("mode", "replay");
        var without = await context.APIRequest.PostAsync("/ops/console/dead-letters/replay", new APIRequestContextOptions { Form = form });
        Assert.Equal(400, without.Status);
        var logout = await context.APIRequest.PostAsync("/ops/console/logout", new APIRequestContextOptions { Form = context.APIRequest.CreateFormData(), MaxRedirects = 0 });
        Assert.Equal(400, logout.Status);
        Assert.Equal("stored", await StatusAsync(id));

        form.Append("__csrf", token!);
        form.Set("mode", "dry-run");
        var with = await context.APIRequest.PostAsync("/ops/console/dead-letters/replay", new APIRequestContextOptions { Form = form });
        Assert.Equal(200, with.Status);
    }

    [Fact]
    public async Task WithoutACookieEveryPageRedirectsToTheLogin()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = fixture.BaseAddress };

        foreach (var path in new[] { "/ops/console/dead-letters", "/ops/console/history", "/ops/console/cache?key=catalog:categories", "/ops/console/cache/invalidations", "/ops/console/dead-letters/1" })
        {
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/ops/console/login?ReturnUrl=", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
        }

        // A forged cookie is no cookie.
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/ops/console/dead-letters");
        forged.Headers.Add("Cookie", "ops-console=CfDJ8forged");
        using var refused = await client.SendAsync(forged);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
    }

    [Fact]
    public async Task AWrongKeyShowsALoginErrorAndSetsNoCookie()
    {
        await using var context = await fixture.NewContextAsync();

        var page = await fixture.SignInAsync(context, "not-a-key-" + Guid.NewGuid().ToString("N"));
        await Expect(page.Locator("#login-error")).ToHaveTextAsync("Unknown key.");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "ops-console");

        // A real key without the ops scope does not get in either.
        page = await fixture.SignInAsync(context, OpsConsoleFixture.WriterKey);
        await Expect(page.Locator("#login-error")).ToContainTextAsync("does not have the ops:admin scope");
        Assert.DoesNotContain(await context.CookiesAsync(), c => c.Name == "ops-console");
        await page.GotoAsync("/ops/console/dead-letters");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/ops/console/login"));
    }

    private async Task<string> StatusAsync(long id)
    {
        await using var command = fixture.Database.DataSource.CreateCommand("SELECT status FROM invalidator.dead_letters WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
