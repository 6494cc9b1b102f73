namespace Injector.Core.Injection;

/// <summary>A string made from two others (a name, an ARN, a message), kept with what it was made of for the last pair
/// asked for: every pod of a workload asks for the same, so the same string is given again after two comparisons
/// instead of being made anew. One slot for the process, read without a lock (a thread-static slot costs a call into
/// the runtime per read); a pair that differs makes its own and takes the slot.</summary>
internal sealed class LastMade(Func<string, string, string> make)
{
    private Tuple<string, string, string>? _last;

    public string Of(string first, string second)
    {
        var last = Volatile.Read(ref _last);
        if (last is not null && string.Equals(last.Item1, first, StringComparison.Ordinal) && string.Equals(last.Item2, second, StringComparison.Ordinal))
            return last.Item3;
        var made = make(first, second);
        Volatile.Write(ref _last, Tuple.Create(first, second, made));
        return made;
    }
}
