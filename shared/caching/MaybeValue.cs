namespace Platform.Caching;

/// <summary>A value that may be absent, without boxing or allocation.</summary>
public readonly record struct MaybeValue<T>(bool HasValue, T Value)
{
    public static MaybeValue<T> None => default;

    public static MaybeValue<T> Some(T value) => new(true, value);
}
