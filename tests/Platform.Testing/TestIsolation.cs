namespace Platform.Testing;

/// <summary>Names that keep one test class's data apart from every other's on the shared servers.</summary>
public static class TestIsolation
{
    /// <summary>A short unique prefix (lowercase letters and digits, starts with a letter) for keys, queues and exchanges.</summary>
    public static string NewPrefix() => "t" + Guid.NewGuid().ToString("N")[..10];
}
