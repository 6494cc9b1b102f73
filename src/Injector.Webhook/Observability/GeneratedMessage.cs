using System.CodeDom.Compiler;
using System.Globalization;
using System.Reflection;
using System.Text.Json;

namespace Injector.Webhook.Observability;

/// <summary>The message of a <c>[LoggerMessage]</c> entry whose state the generator wrote as a struct of its own (the
/// entries with more than six values, the decision lines among them), written from its template into a reused buffer
/// rather than the new string the struct's formatter makes per line. The text is the formatter's:
/// <c>string.Create(CultureInfo.InvariantCulture, $"…")</c> over the template, so a string is copied as it is (null
/// as nothing) and a number or a bool as its invariant text. A template or a value type other than those (a format,
/// an alignment, a list, a date) is left to the formatter.</summary>
internal sealed class GeneratedMessage
{
    [ThreadStatic] private static char[]? t_text;

    /// <summary>The text before each placeholder, and after the last one.</summary>
    private readonly string[] _literals;
    /// <summary>The entry each placeholder reads.</summary>
    private readonly int[] _holes;

    private GeneratedMessage(string template, string[] literals, int[] holes) => (Template, _literals, _holes) = (template, literals, holes);

    /// <summary>The template (<c>{OriginalFormat}</c>) this message was read from.</summary>
    public string Template { get; }

    /// <summary>Whether <paramref name="state"/> is a struct the logging generator wrote, whose formatter is the
    /// interpolation above.</summary>
    public static bool IsGenerated(Type state) => state.IsValueType
        && state.GetCustomAttribute<GeneratedCodeAttribute>()?.Tool == "Microsoft.Extensions.Logging.Generators";

    /// <summary>The message of a generated state's <paramref name="template"/> over its <paramref name="entries"/>
    /// (names as the state lists them, <c>{OriginalFormat}</c> last), or null where the formatter must write it.
    /// The value types come from the state's constructor, which takes the values in the order the state lists them.</summary>
    public static GeneratedMessage? Parse(Type state, string template, ReadOnlySpan<KeyValuePair<string, object?>> entries)
    {
        var constructors = state.GetConstructors();
        if (constructors.Length != 1) return null;
        var parameters = constructors[0].GetParameters();
        if (parameters.Length != entries.Length - 1) return null;
        for (var i = 0; i < parameters.Length; i++)
        {
            if (!string.Equals(parameters[i].Name, entries[i].Key, StringComparison.OrdinalIgnoreCase)) return null;
        }

        var literals = new List<string>();
        var holes = new List<int>();
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c is '{' or '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                literal.Append(c);
                i++;
                continue;
            }
            if (c == '}') return null;
            if (c != '{')
            {
                literal.Append(c);
                continue;
            }
            var end = template.IndexOf('}', i + 1);
            if (end < 0) return null;
            var name = template[(i + 1)..end];
            var hole = -1;
            for (var e = 0; e < parameters.Length && hole < 0; e++)
            {
                if (entries[e].Key == name) hole = e;
            }
            if (hole < 0 || !Known(parameters[hole].ParameterType)) return null;
            literals.Add(literal.ToString());
            literal.Clear();
            holes.Add(hole);
            i = end;
        }
        literals.Add(literal.ToString());
        return new GeneratedMessage(template, [.. literals], [.. holes]);
    }

    private static bool Known(Type type) => type == typeof(string) || type == typeof(int) || type == typeof(long) || type == typeof(double) || type == typeof(bool);

    /// <summary>Writes the message as the string value of <paramref name="name"/>.</summary>
    public void Write(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<KeyValuePair<string, object?>> entries)
    {
        var text = t_text ??= new char[512];
        var length = 0;
        for (var i = 0; i < _holes.Length; i++)
        {
            Append(ref text, ref length, _literals[i]);
            switch (entries[_holes[i]].Value)
            {
                case string s: Append(ref text, ref length, s); break;
                case double d:
                    var number = Number(d);
                    if (text.Length - length < number.Length) Grow(ref text, text.Length * 2);
                    _ = System.Text.Ascii.ToUtf16(number, text.AsSpan(length), out var widened);
                    length += widened;
                    break;
                case ISpanFormattable formattable:
                    int written;
                    while (!formattable.TryFormat(text.AsSpan(length), out written, default, CultureInfo.InvariantCulture)) Grow(ref text, text.Length * 2);
                    length += written;
                    break;
                case bool b: Append(ref text, ref length, b ? bool.TrueString : bool.FalseString); break;
                default: break; // null: nothing, as in an interpolated string
            }
        }
        Append(ref text, ref length, _literals[^1]);
        json.WriteString(name, text.AsSpan(0, length));
    }

    [ThreadStatic] private static byte[]? t_number;
    [ThreadStatic] private static long t_numberBits;
    [ThreadStatic] private static int t_numberLength;

    /// <summary>The invariant text of <paramref name="value"/> (ASCII), kept until the next number: a line's message
    /// and its field of the same number format it once. It is what <see cref="Utf8JsonWriter.WriteNumber(JsonEncodedText, double)"/>
    /// writes, which formats a double the same way.</summary>
    public static ReadOnlySpan<byte> Number(double value)
    {
        var text = t_number ??= new byte[64];
        var bits = BitConverter.DoubleToInt64Bits(value);
        if (t_numberLength > 0 && t_numberBits == bits) return text.AsSpan(0, t_numberLength);
        // A double's text is at most 25 bytes.
        _ = value.TryFormat(text, out var length, default, CultureInfo.InvariantCulture);
        (t_numberBits, t_numberLength) = (bits, length);
        return text.AsSpan(0, length);
    }

    /// <summary>Whether <paramref name="value"/> is the number last formatted on this thread, and its text.</summary>
    public static bool IsLastNumber(double value, out ReadOnlySpan<byte> text)
    {
        text = t_number is { } number && t_numberLength > 0 && t_numberBits == BitConverter.DoubleToInt64Bits(value) ? number.AsSpan(0, t_numberLength) : default;
        return text.Length > 0;
    }

    private static void Append(ref char[] text, ref int length, string value)
    {
        if (text.Length - length < value.Length) Grow(ref text, Math.Max(text.Length * 2, length + value.Length));
        value.CopyTo(text.AsSpan(length));
        length += value.Length;
    }

    private static void Grow(ref char[] text, int size)
    {
        Array.Resize(ref text, size);
        t_text = text;
    }
}
