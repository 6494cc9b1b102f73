using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Injector.Configuration;

/// <summary>Refuses mappings and sequences nested deeper than <paramref name="maxDepth"/> as the events are read:
/// YamlDotNet's loader and deserializer recurse per level, and 100,000 levels overflowed the stack (a config file)
/// or ran for minutes (a kubeconfig).</summary>
/// <param name="inner">The parser read from.</param>
/// <param name="maxDepth">The deepest nesting allowed.</param>
/// <param name="why">Ends the message: what the file holds instead.</param>
internal sealed class ShallowYamlParser(IParser inner, int maxDepth, string why) : IParser
{
    private int _depth;

    public ParsingEvent? Current => inner.Current;

    /// <summary>The event before <see cref="Current"/>.</summary>
    public ParsingEvent? Previous { get; private set; }

    public bool MoveNext()
    {
        Previous = inner.Current;
        if (!inner.MoveNext()) return false;
        if (inner.Current is SequenceEnd or MappingEnd) _depth--;
        else if (inner.Current is SequenceStart or MappingStart && ++_depth > maxDepth)
            throw new YamlException(inner.Current.Start, inner.Current.End, $"nested more than {maxDepth} deep, {why}");
        return true;
    }

    /// <summary>Reads the whole text through the limit, building nothing.</summary>
    /// <exception cref="YamlException">Not YAML, or nested too deep.</exception>
    public static void Check(string text, int maxDepth, string why)
    {
        var parser = new ShallowYamlParser(new Parser(new StringReader(text)), maxDepth, why);
        while (parser.MoveNext()) { }
    }
}
