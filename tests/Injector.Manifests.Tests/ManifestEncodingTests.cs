namespace Injector.Manifests.Tests;

public sealed class ManifestEncodingTests
{
    private static string Read(byte[] bytes)
    {
        using var dir = new TempDir();
        var path = dir.File("manifest.yaml");
        File.WriteAllBytes(path, bytes);
        using var reader = ManifestEncoding.OpenFile(path);
        return reader.ReadToEnd();
    }

    [Fact]
    public void A_byte_that_is_not_UTF8_reads_as_the_marker_and_a_UTF8_replacement_character_as_itself()
    {
        Assert.Equal("caf\uFFFE \uFFFD", Read([.. "caf"u8, 0xE9, .. " \uFFFD"u8]));
    }

    /// <summary>The byte-order mark is skipped without the reader switching to a decoding of its own, which would
    /// read the same byte as U+FFFD again.</summary>
    [Fact]
    public void After_a_UTF8_byte_order_mark_a_byte_that_is_not_UTF8_still_reads_as_the_marker()
    {
        Assert.Equal("caf\uFFFE", Read([0xEF, 0xBB, 0xBF, .. "caf"u8, 0xE9]));
    }
}
