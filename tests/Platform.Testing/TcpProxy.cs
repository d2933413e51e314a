using System.Net;
using System.Net.Sockets;

namespace Platform.Testing;

/// <summary>
/// A loopback TCP proxy in front of a real server. Tests point a client at <see cref="Port"/> and then
/// <see cref="Cut"/> (every connection reset, new ones refused: the server looks dead to this client only)
/// and <see cref="Restore"/> it — a network failure of one node without stopping the shared server that
/// other test classes are using at the same time.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly Lock _gate = new();
    private readonly List<TcpClient> _connections = [];
    private TcpListener? _listener;
    private CancellationTokenSource _cts = new();

    public TcpProxy(int targetPort, string targetHost = "127.0.0.1")
    {
        _target = new IPEndPoint(IPAddress.Parse(targetHost), targetPort);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Restore();
    }

    /// <summary>The port clients connect to.</summary>
    public int Port { get; }

    public bool IsCut { get; private set; }

    /// <summary>Resets every open connection and refuses new ones until <see cref="Restore"/>.</summary>
    public void Cut()
    {
        lock (_gate)
        {
            IsCut = true;
            _cts.Cancel();
            _listener?.Stop();
            _listener = null;
            foreach (var connection in _connections)
            {
                connection.Client.LingerState = new LingerOption(true, 0);
                connection.Dispose();
            }

            _connections.Clear();
        }
    }

    /// <summary>Accepts connections again on the same port.</summary>
    public void Restore()
    {
        lock (_gate)
        {
            if (_listener is not null)
            {
                return;
            }

            IsCut = false;
            _cts = new CancellationTokenSource();
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _ = AcceptLoopAsync(listener, _cts.Token);
        }
    }

    public ValueTask DisposeAsync()
    {
        Cut();
        _cts.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task AcceptLoopAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = PipeAsync(client, cancellationToken);
        }
    }

    private async Task PipeAsync(TcpClient client, CancellationToken cancellationToken)
    {
        var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(_target, cancellationToken);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            client.Dispose();
            upstream.Dispose();
            return;
        }

        lock (_gate)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                client.Dispose();
                upstream.Dispose();
                return;
            }

            _connections.Add(client);
            _connections.Add(upstream);
        }

        client.NoDelay = true;
        upstream.NoDelay = true;
        using var both = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var a = CopyAsync(client.GetStream(), upstream.GetStream(), both.Token);
        var b = CopyAsync(upstream.GetStream(), client.GetStream(), both.Token);
        await Task.WhenAny(a, b);
        await both.CancelAsync();
        lock (_gate)
        {
            _connections.Remove(client);
            _connections.Remove(upstream);
        }

        client.Dispose();
        upstream.Dispose();
    }

    private static async Task CopyAsync(NetworkStream from, NetworkStream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, cancellationToken);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            // Either side closing ends the pipe; the other direction is torn down by the caller.
        }
    }
}
