using MassTransit;
using Microsoft.Extensions.Options;
using Platform.Hosting.Configuration;

namespace Platform.Messaging.Bus;

/// <summary>MassTransit over RabbitMQ with the platform's naming, validation and readiness.</summary>
public static class BusRegistration
{
    /// <summary>
    /// Adds MassTransit on RabbitMQ from <c>ConnectionStrings:RabbitMq</c> (an AMQP URI, validated at start) and
    /// <see cref="BusOptions"/>. <paramref name="configure"/> registers consumers. MassTransit's own bus health
    /// check is tagged <c>ready</c>, so <c>/health/ready</c> covers the broker connection; it checks more than
    /// AspNetCore.HealthChecks.Rabbitmq would (the bus started and every receive endpoint consuming, on the bus's own
    /// connection), so that package is not used.
    /// </summary>
    public static IHostApplicationBuilder AddPlatformBus(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configure = null)
    {
        builder.Services.AddOptions<ConnectionStringsOptions>().BindConfiguration(ConnectionStringsOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConnectionStringsOptions>, RabbitMqConnectionValidator>();
        builder.Services.AddValidatedOptions<BusOptions>(BusOptions.Section);

        var prefix = builder.Configuration[$"{BusOptions.Section}:{nameof(BusOptions.EntityPrefix)}"] ?? "";
        builder.Services.AddMassTransit(x =>
        {
            x.SetEndpointNameFormatter(new KebabCaseEndpointNameFormatter(prefix.Length == 0 ? null : prefix, false));
            configure?.Invoke(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                var busOptions = context.GetRequiredService<IOptions<BusOptions>>().Value;
                var connectionStrings = context.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value;
                var uri = new Uri(connectionStrings.RabbitMq!);
                var (user, password) = Credentials(uri);
                var nodes = RabbitMqNodes.Parse(connectionStrings.RabbitMqNodes);
                cfg.Host(uri, h =>
                {
                    h.Username(user);
                    h.Password(password);
                    h.ConnectionName(builder.Environment.ApplicationName);
                    if (nodes.Count > 0)
                    {
                        // A cluster: MassTransit connects to the first node that answers and, when that node goes, to
                        // the next; the queues are quorum queues, so a consumer goes on from any node (ADR 017).
                        h.UseCluster(cluster =>
                        {
                            foreach (var (host, port) in nodes)
                            {
                                cluster.Node(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{host}:{port}"));
                            }
                        });
                    }
                });
                if (prefix.Length > 0)
                {
                    cfg.MessageTopology.SetEntityNameFormatter(new PrefixEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, prefix + "-"));
                }

                // A message missing a field of its contract (or carrying null where the contract has none) fails to
                // deserialize, so it faults into the error queue with the reason instead of being consumed with
                // defaults (a ProductUpdated without productId would evict product 0 and nothing else).
                cfg.ConfigureJsonSerializerOptions(json =>
                {
                    json.RespectRequiredConstructorParameters = true;
                    json.RespectNullableAnnotations = true;
                    return json;
                });
                cfg.PrefetchCount = busOptions.PrefetchCount;
                cfg.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddOptions<MassTransitHostOptions>().Configure<IOptions<BusOptions>>((host, bus) =>
        {
            host.WaitUntilStarted = false;
            host.StartTimeout = TimeSpan.FromSeconds(bus.Value.StartTimeoutSeconds);
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return builder;
    }

    internal static (string User, string Password) Credentials(Uri uri)
    {
        if (string.IsNullOrEmpty(uri.UserInfo))
        {
            return ("guest", "guest");
        }

        var parts = uri.UserInfo.Split(':', 2);
        return (Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : "");
    }

    /// <summary>Checks <c>ConnectionStrings:RabbitMq</c>; also for tools that talk AMQP without a bus (the dlq CLI).</summary>
    public sealed class RabbitMqConnectionValidator : IValidateOptions<ConnectionStringsOptions>
    {
        public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
        {
            const string key = ConnectionStringsOptions.Section + ":RabbitMq";
            if (string.IsNullOrWhiteSpace(options.RabbitMq))
            {
                return ValidateOptionsResult.Fail($"{key} is required (e.g. amqp://guest:guest@127.0.0.1:56720/)");
            }

            if (!Uri.TryCreate(options.RabbitMq, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps") || string.IsNullOrEmpty(uri.Host))
            {
                return ValidateOptionsResult.Fail($"{key} must be an amqp:// or amqps:// URI with a host, e.g. amqp://guest:guest@127.0.0.1:56720/");
            }

            try
            {
                RabbitMqNodes.Parse(options.RabbitMqNodes);
            }
            catch (FormatException e)
            {
                return ValidateOptionsResult.Fail($"{ConnectionStringsOptions.Section}:RabbitMqNodes: {e.Message} (expected host:port,host:port,… e.g. 127.0.0.1:56720,127.0.0.1:56722)");
            }

            return ValidateOptionsResult.Success;
        }
    }
}
