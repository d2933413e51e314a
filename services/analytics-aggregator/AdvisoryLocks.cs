using System.Text;

namespace AnalyticsAggregator;

/// <summary>Keys of the aggregator's PostgreSQL advisory locks.</summary>
internal static class AdvisoryLocks
{
    // FNV-1a over a prefixed name: stable across processes and PostgreSQL versions (hashtext is not promised to be).
    public static long Key(string name)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return unchecked((long)hash);
    }
}
