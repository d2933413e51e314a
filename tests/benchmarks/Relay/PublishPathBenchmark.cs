using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Benchmarks.Reporting;
using Platform.Benchmarks.Support;
using Platform.Contracts.Catalog;
using Platform.Messaging.Bus;
using Platform.Messaging.Wire;
using RabbitMQ.Client;

namespace Platform.Benchmarks.Relay;

/// <summary>
/// <c>relay-publish-paths [--messages 20000] [--in-flight 500] [--rounds 3]</c>: where a relay's publish time goes,
/// without the database. The same messages through MassTransit's typed publish, the relay's untyped publish (payload
/// deserialized, id and headers set) with MassTransit serializing the envelope, the same with the stored payload
/// written into the envelope as it is, and — as a ceiling — RabbitMQ.Client directly with publisher confirms and
/// no MassTransit pipeline. Modes are interleaved round by round so each sees the same machine noise; every mode
/// counts until the in-process consumer has received all messages. Prints Markdown.
/// </summary>
internal static class PublishPathBenchmark
{
    public static async Task<int> RunAsync(BenchOptions options, BenchResults results)
    {
        var messages = options.Int("--messages", 20_000);
        var inFlight = options.Int("--in-flight", 500);
        var rounds = options.Int("--rounds", 3);
        options.EnsureAllUsed();
        var rabbit = Environment.GetEnvironmentVariable("PLATFORM_RABBITMQ_TEST") ?? "amqp://guest:guest@127.0.0.1:56720/platform-test";
        var prefix = "bench" + Guid.NewGuid().ToString("N")[..8];
        var sink = new RelayBenchmark.Sink();
        using var receiver = await BenchHosts.StartAsync(Receiver(rabbit, prefix, sink));
        using var publisher = await BenchHosts.StartAsync(Publisher(rabbit, prefix));
        var bus = publisher.Services.GetRequiredService<IBus>();

        var payloads = Enumerable.Range(1, messages)
            .Select(i => JsonSerializer.Serialize(new ProductViewed(i, i % 50, DateTimeOffset.UtcNow), new JsonSerializerOptions(JsonSerializerDefaults.Web)))
            .ToArray();
        var headers = """{"source":"bench"}""";
        var web = new JsonSerializerOptions(JsonSerializerDefaults.Web);

        var modes = new (string Name, Func<int, Task> Publish)[]
        {
            ("typed Publish<T>", i => bus.Publish(new ProductViewed(i, i % 50, DateTimeOffset.UtcNow))),
            ("untyped Publish + deserialize + id/headers (relay before)", i => PublishAsRelay(bus, payloads[i], headers, web, preSerialized: false)),
            ("same + stored payload as the body (relay now)", i => PublishAsRelay(bus, payloads[i], headers, web, preSerialized: true)),
        };

        var rates = modes.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var m = 0; m < modes.Length; m++)
            {
                sink.Expect(messages);
                var watch = Stopwatch.StartNew();
                var next = -1;
                await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
                {
                    while (Interlocked.Increment(ref next) is var i && i < messages)
                    {
                        await modes[m].Publish(i);
                    }
                }));
                var published = watch.Elapsed;
                await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(5));
                rates[m].Add(messages / watch.Elapsed.TotalSeconds);
                Console.WriteLine($"round {round} {modes[m].Name}: published in {published.TotalSeconds:0.00} s, received in {watch.Elapsed.TotalSeconds:0.00} s, load {Machine.Load1()}");
            }
        }

        // Direct AMQP: a ceiling for what the broker and client take, without MassTransit's pipeline.
        var direct = await DirectAsync(rabbit, bus, payloads, inFlight, sink, rounds);
        Console.WriteLine();
        const string Section = "Publish paths without the database";
        const string DirectName = "RabbitMQ.Client direct, confirms, pre-built envelope";
        var table = new MarkdownTable("lrl", $"path ({messages:N0} messages, {inFlight} in flight, sliding window)", "median msg/s", "all rounds");
        foreach (var (name, values) in modes.Select((mode, m) => (mode.Name, rates[m])).Append((DirectName, direct)))
        {
            var all = string.Join(", ", values.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)));
            table.Add(name, Stats.Median(values).ToString("N0", CultureInfo.InvariantCulture), all);
            results.Add(Section, name, Stats.Median(values), "msg/s", samples: values.Count, note: all,
                baseline: name == modes[0].Name ? null : new Baseline(modes[0].Name, Stats.Median(rates[0])));
        }

        table.Print();
        await publisher.StopAsync();
        await receiver.StopAsync();
        return 0;
    }

    private static Task PublishAsRelay(IBus bus, string payload, string headers, JsonSerializerOptions web, bool preSerialized)
    {
        var message = JsonSerializer.Deserialize(payload, typeof(ProductViewed), web)!;
        var parsed = JsonSerializer.Deserialize<Dictionary<string, string>>(headers, web)!;
        return bus.Publish(message, typeof(ProductViewed), Pipe.Execute<PublishContext>(c =>
        {
            c.MessageId = Guid.CreateVersion7();
            foreach (var (k, v) in parsed)
            {
                c.Headers.Set(k, v);
            }

            if (preSerialized)
            {
                c.Serializer = new RawBodySerializer(payload);
            }
        }));
    }

    private static async Task<List<double>> DirectAsync(string rabbit, IBus bus, string[] payloads, int inFlight, RelayBenchmark.Sink sink, int rounds)
    {
        var exchange = PublishExchange<ProductViewed>(bus);
        var factory = new ConnectionFactory { Uri = new Uri(rabbit) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null));
        var results = new List<double>();
        var urn = MessageUrns.For<ProductViewed>();
        for (var round = 0; round < rounds; round++)
        {
            sink.Expect(payloads.Length);
            var watch = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) is var i && i < payloads.Length)
                {
                    var id = Guid.CreateVersion7();
                    var body = Envelope(id, urn, payloads[i]);
                    var properties = new BasicProperties { MessageId = id.ToString(), ContentType = "application/vnd.masstransit+json", DeliveryMode = DeliveryModes.Persistent };
                    await channel.BasicPublishAsync(exchange, "", false, properties, body);
                }
            }));
            await sink.AllReceived.WaitAsync(TimeSpan.FromMinutes(5));
            results.Add(payloads.Length / watch.Elapsed.TotalSeconds);
            Console.WriteLine($"round {round} direct: {watch.Elapsed.TotalSeconds:0.00} s, load {Machine.Load1()}");
        }

        return results;
    }

    /// <summary>The exchange MassTransit publishes <typeparamref name="T"/> to on this bus.</summary>
    internal static string PublishExchange<T>(IBus bus)
        where T : class
    {
        bus.Topology.PublishTopology.GetMessageTopology<T>().TryGetPublishAddress(bus.Address, out var address);
        return address!.AbsolutePath.Split('/').Last();
    }

    internal static byte[] Envelope(Guid id, string urn, string payload)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + payload.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("messageId", id);
            writer.WriteStartArray("messageType");
            writer.WriteStringValue(urn);
            writer.WriteEndArray();
            writer.WritePropertyName("message");
            writer.WriteRawValue(payload, skipInputValidation: true);
            writer.WriteString("sentTime", DateTime.UtcNow);
            writer.WriteStartObject("headers");
            writer.WriteString("source", "bench");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static HostApplicationBuilder Receiver(string rabbit, string prefix, RelayBenchmark.Sink sink)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.Configuration["Bus:PrefetchCount"] = "1000";
        builder.Services.AddSingleton(sink);
        builder.AddPlatformBus(x => x.AddConsumer<RelayBenchmark.SinkConsumer>().Endpoint(e => e.Temporary = true));
        return builder;
    }

    private static HostApplicationBuilder Publisher(string rabbit, string prefix)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["ConnectionStrings:RabbitMq"] = rabbit;
        builder.Configuration["Bus:EntityPrefix"] = prefix;
        builder.AddPlatformBus();
        return builder;
    }

    /// <summary>
    /// A minimal stand-in for the relay's StoredPayloadSerializer (internal to Platform.Messaging): MassTransit's
    /// envelope written around the stored payload instead of serializing the message object.
    /// </summary>
    private sealed class RawBodySerializer(string payload) : IMessageSerializer
    {
        public System.Net.Mime.ContentType ContentType { get; } = new("application/vnd.masstransit+json");

        public MessageBody GetMessageBody<T>(SendContext<T> context)
            where T : class =>
            new BytesMessageBody(Envelope(context.MessageId ?? Guid.Empty, MessageTypeCache<T>.MessageTypeNames[0], payload));
    }
}
