using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Platform.DeadLetters.Cli;
using Platform.DeadLetters.Operations;
using Platform.Testing;
using RabbitMQ.Client;

namespace Platform.DeadLetters.Tests.Operations;

/// <summary>
/// A replay publishes only to the queues of this deployment: the destination comes from the sender-written
/// <c>MT-Fault-InputAddress</c> header, so a forged one naming another queue, an exchange, another virtual host or
/// another broker is refused, recorded and left stored, while real dead letters beside it are replayed.
/// </summary>
public sealed class ReplayDestinationTests
{
    [Fact]
    public async Task ReplayRefusesDestinationsOutsideThisDeploymentAndStillReplaysTheRest()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        var node = await world.StartOpsNodeAsync();
        using var metrics = new DeadLetterInstruments(node.Services);
        var genuine = await consumer.PublishProductUpdatedAsync(7);
        await world.WaitForStoredAsync(1);
        // A queue that exists, so a replay there would be confirmed: only the allow-list stops it.
        var foreignQueue = $"{world.Prefix}-someone-elses-queue";
        await world.DeclareClassicAsync(foreignQueue);
        var broker = TestServers.RabbitMq;
        var vhost = broker.AbsolutePath.Trim('/');
        var forged = new Dictionary<string, string>
        {
            ["foreign-queue"] = $"rabbitmq://{broker.Host}:{broker.Port}/{vhost}/{foreignQueue}",
            ["exchange"] = $"rabbitmq://{broker.Host}:{broker.Port}/{vhost}/{world.Prefix}-Platform.Contracts.Catalog:ProductUpdated",
            ["other-vhost"] = $"rabbitmq://{broker.Host}:{broker.Port}/another-vhost/{world.InputQueue}",
            ["other-host"] = $"rabbitmq://broker.example.com:{broker.Port}/{vhost}/{world.InputQueue}",
            ["exchange-option"] = $"rabbitmq://{broker.Host}:{broker.Port}/{vhost}/{world.InputQueue}?type=fanout&bind=true",
        };
        foreach (var (name, address) in forged)
        {
            await PublishForgedAsync(world, $"forged-{name}-{world.Prefix}", address);
        }

        await world.WaitForStoredAsync(1 + forged.Count);
        consumer.Behaviour.Fail = false;

        var response = await node.Admin.PostAsJsonAsync(new Uri("/ops/dead-letters/replay", UriKind.Relative), new { all = true });

        Assert.True(response.StatusCode == HttpStatusCode.UnprocessableEntity, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var refused = problem.GetProperty("refused").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetInt64(), r => r.GetProperty("reason").GetString()!);
        var forgedRows = new Dictionary<string, StoredRow>();
        foreach (var name in forged.Keys)
        {
            forgedRows[name] = await world.RowAsync($"forged-{name}-{world.Prefix}");
        }

        Assert.Equal(forgedRows.Values.Select(r => r.Id).Order(), refused.Keys.Order());
        Assert.Contains("is not a queue of this deployment", refused[forgedRows["foreign-queue"].Id], StringComparison.Ordinal);
        Assert.Contains("is not a queue of this deployment", refused[forgedRows["exchange"].Id], StringComparison.Ordinal);
        Assert.Contains("virtual host 'another-vhost'", refused[forgedRows["other-vhost"].Id], StringComparison.Ordinal);
        Assert.Contains("broker.example.com", refused[forgedRows["other-host"].Id], StringComparison.Ordinal);
        Assert.Contains("options", refused[forgedRows["exchange-option"].Id], StringComparison.Ordinal);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.All(refused.Keys, id => Assert.Contains($"id {id}:", detail, StringComparison.Ordinal));
        Assert.Equal(1, problem.GetProperty("result").GetProperty("succeeded").GetInt32());

        await consumer.Behaviour.WaitForAsync([genuine]);
        Assert.Equal(DeadLetterStatus.Replayed, (await world.RowAsync(genuine.ToString())).Status);
        foreach (var name in forged.Keys)
        {
            var now = await world.RowAsync($"forged-{name}-{world.Prefix}");
            Assert.Equal((name, DeadLetterStatus.Stored, 0), (name, now.Status, now.ReplayCount));
        }

        Assert.Equal(0u, await world.QueueDepthAsync(foreignQueue));
        var history = Assert.Single(await node.GetAsync<List<DeadLetterHistoryEntry>>("/ops/dead-letters/history"));
        Assert.Equal((1 + forged.Count, 1, forged.Count), (history.Selected, history.Succeeded, history.Refused));
        Assert.Equal(refused.Keys.Order(), history.Refusals.Select(r => r!["id"]!.GetValue<long>()).Order());
        Assert.All(history.Refusals, r => Assert.False(string.IsNullOrEmpty(r!["reason"]!.GetValue<string>())));
        Assert.Equal(forged.Count, metrics.Sum("platform.dead_letters.replay_refusals"));
        Assert.Equal(1, metrics.Sum("platform.dead_letters.replayed"));
        await world.DeleteQueueAsync(foreignQueue);
    }

    [Fact]
    public async Task CliRefusesAForgedDestinationNamingTheIdAndLeavesItStored()
    {
        await using var world = await DeadLetterHarness.CreateAsync();
        var consumer = await world.StartConsumerAsync();
        await world.StartOpsNodeAsync();
        var genuine = await consumer.PublishProductUpdatedAsync(3);
        await world.WaitForStoredAsync(1);
        var broker = TestServers.RabbitMq;
        var messageId = $"forged-cli-{world.Prefix}";
        await PublishForgedAsync(world, messageId, $"rabbitmq://{broker.Host}:{broker.Port}{broker.AbsolutePath.TrimEnd('/')}/{world.Prefix}-analytics-aggregator-not-ours");
        await world.WaitForStoredAsync(2);
        consumer.Behaviour.Fail = false;
        var row = await world.RowAsync(messageId);
        var real = await world.RowAsync(genuine.ToString());

        var dry = await world.CliAsync("replay", row.Id.ToString(CultureInfo.InvariantCulture), real.Id.ToString(CultureInfo.InvariantCulture), "--dry-run", "--json");
        var cli = await world.CliAsync("replay", row.Id.ToString(CultureInfo.InvariantCulture), real.Id.ToString(CultureInfo.InvariantCulture), "--actor", "bob");

        Assert.Equal(0, dry.ExitCode);
        var outcomes = dry.Json().GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("id").GetInt64(), i => i.GetProperty("outcome").GetString());
        Assert.Equal(("refused", "would-replay"), (outcomes[row.Id], outcomes[real.Id]));
        Assert.Equal(DeadLetterCommands.Refused, cli.ExitCode);
        Assert.Contains($"refused to replay id {row.Id}: destination '{world.Prefix}-analytics-aggregator-not-ours' is not a queue of this deployment", cli.Error, StringComparison.Ordinal);
        var after = await world.RowAsync(messageId);
        Assert.Equal((DeadLetterStatus.Stored, 0), (after.Status, after.ReplayCount));
        await consumer.Behaviour.WaitForAsync([genuine]);
        Assert.Equal(DeadLetterStatus.Replayed, (await world.RowAsync(genuine.ToString())).Status);
        var history = (await world.CliAsync("history", "--json")).Json()[0];
        Assert.Equal(1, history.GetProperty("refused").GetInt32());
        Assert.Equal(row.Id, history.GetProperty("refusals")[0].GetProperty("id").GetInt64());
    }

    /// <summary>
    /// What anyone allowed to publish to the error queue could send: a message with fault headers naming
    /// <paramref name="inputAddress"/> as where it was consumed (the mover stores it; a replay would go there).
    /// </summary>
    private static async Task PublishForgedAsync(DeadLetterHarness world, string messageId, string inputAddress)
    {
        await using var connection = await new ConnectionFactory { Uri = TestServers.RabbitMq }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties
        {
            MessageId = messageId,
            ContentType = "text/plain",
            Persistent = true,
            Headers = new Dictionary<string, object?>
            {
                ["MT-Reason"] = "fault",
                ["MT-Fault-ExceptionType"] = "System.InvalidOperationException",
                ["MT-Fault-Message"] = "forged",
                ["MT-Fault-InputAddress"] = inputAddress,
            },
        };
        await channel.BasicPublishAsync("", world.ErrorQueue, true, properties, Encoding.UTF8.GetBytes("forged body"));
    }
}
