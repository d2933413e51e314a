using System.Globalization;

namespace Platform.Caching.NodeHost;

/// <summary>
/// Command line of the node: <c>--redis CONFIG --prefix PREFIX [--lock-ms N] [--gap-check-ms N]</c>. A handful of
/// flags set by one test fixture, so a plain parser rather than System.CommandLine.
/// </summary>
internal sealed record NodeSettings(string Redis, string Prefix, TimeSpan ClusterLockDuration, TimeSpan GapCheckInterval)
{
    private const string Usage = "usage: Platform.Caching.NodeHost --redis CONFIG --prefix PREFIX [--lock-ms N] [--gap-check-ms N]";

    public static bool TryParse(string[] args, out NodeSettings settings, out string error)
    {
        settings = null!;
        error = Usage;
        string? redis = null, prefix = null;
        var lockDuration = TimeSpan.FromSeconds(10);
        // Faster than the 1 s default so a lost last message cannot slow a test down.
        var gapCheck = TimeSpan.FromMilliseconds(200);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (i + 1 >= args.Length)
            {
                error = $"{args[i]} needs a value\n{Usage}";
                return false;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--redis":
                    redis = value;
                    break;
                case "--prefix":
                    prefix = value;
                    break;
                case "--lock-ms" when TryMilliseconds(value, out var ms):
                    lockDuration = ms;
                    break;
                case "--gap-check-ms" when TryMilliseconds(value, out var ms):
                    gapCheck = ms;
                    break;
                default:
                    error = $"bad argument '{args[i]} {value}'\n{Usage}";
                    return false;
            }
        }

        if (redis is null || prefix is null)
        {
            return false;
        }

        settings = new NodeSettings(redis, prefix, lockDuration, gapCheck);
        return true;
    }

    private static bool TryMilliseconds(string text, out TimeSpan value)
    {
        var ok = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0;
        value = TimeSpan.FromMilliseconds(ms);
        return ok;
    }
}
