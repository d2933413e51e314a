using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Platform.Benchmarks.Support;

/// <summary>What the server runners share: throwaway databases, bus hosts, waiting on a condition.</summary>
internal static class BenchHosts
{
    /// <summary>Runs one statement on the admin connection (CREATE or DROP of a throwaway database).</summary>
    public static async Task AdminAsync(string admin, string sql)
    {
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Builds and starts a host, then waits until its bus is healthy.</summary>
    public static async Task<IHost> StartAsync(HostApplicationBuilder builder, TimeSpan? timeout = null)
    {
        var host = builder.Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<IBusControl>().WaitForHealthStatus(BusHealthStatus.Healthy, timeout ?? TimeSpan.FromSeconds(60));
        return host;
    }

    /// <summary>Polls <paramref name="condition"/> every <paramref name="poll"/> until it holds; throws after <paramref name="timeout"/>.</summary>
    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, TimeSpan? poll = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"{what} not reached within {timeout}");
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(20));
        }
    }
}
