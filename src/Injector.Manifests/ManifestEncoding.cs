using System.Text;

namespace Injector.Manifests;

/// <summary>How manifests are read from bytes: as UTF-8, with every byte sequence that is not UTF-8 read as
/// <see cref="NotUtf8"/> instead of U+FFFD, so that a file saved as Latin-1 or Windows-1252 is refused at the
/// place it goes wrong (as kubectl refuses it) rather than written back with its letters silently replaced.</summary>
public static class ManifestEncoding
{
    /// <summary>What a byte sequence that is not UTF-8 is read as. U+FFFE, a noncharacter that YAML does not
    /// allow in a stream (YAML 1.2 c-printable), so a manifest cannot legitimately hold it; a lone surrogate,
    /// which no UTF-8 could give, is refused by .NET's decoder as a replacement.</summary>
    public const char NotUtf8 = '\uFFFE';

    /// <summary>UTF-8, reading bytes that are not UTF-8 as <see cref="NotUtf8"/>. Its byte-order mark is the
    /// preamble a reader skips (and keeps this decoding for); it is never written.</summary>
    public static Encoding Utf8 { get; } = CreateUtf8();

    /// <summary>A reader over a file's bytes: UTF-8 as above, a leading UTF-8 byte-order mark skipped; a file with a
    /// UTF-16 or UTF-32 byte-order mark (PowerShell 5's <c>&gt;</c> writes UTF-16) is read in that encoding.</summary>
    public static TextReader OpenFile(string path) => new StreamReader(path, Utf8, detectEncodingFromByteOrderMarks: true);

    private static Encoding CreateUtf8()
    {
        var encoding = (Encoding)new UTF8Encoding(encoderShouldEmitUTF8Identifier: true).Clone();
        encoding.DecoderFallback = new DecoderReplacementFallback(NotUtf8.ToString());
        return encoding;
    }
}
