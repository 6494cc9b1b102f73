using System.Security.Cryptography.X509Certificates;

namespace Injector.Webhook.Tests.Fakes;

/// <summary>A temporary directory for generated certificates (never committed), removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("appmesh-inject-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public static string KeyPem(X509Certificate2 certificate) =>
        certificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();

    /// <summary>Writes <c>tls.crt</c>, <c>tls.key</c> and (by default) <c>ca.crt</c> in place, as plain files.</summary>
    public void WriteTls(X509Certificate2 leaf, X509Certificate2 ca, bool writeCaFile = true, bool chainCa = false, string? directory = null)
    {
        var dir = directory ?? Path;
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "tls.key"), KeyPem(leaf));
        System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "tls.crt"), leaf.ExportCertificatePem() + "\n" + (chainCa ? ca.ExportCertificatePem() + "\n" : ""));
        if (writeCaFile) System.IO.File.WriteAllText(System.IO.Path.Combine(dir, "ca.crt"), ca.ExportCertificatePem());
    }

    private int _generation;

    /// <summary>Writes the files the way the kubelet updates a secret volume: into a new timestamped
    /// directory, then swaps the <c>..data</c> symlink atomically; <c>tls.crt</c> and friends are
    /// symlinks through <c>..data</c> and never change themselves.</summary>
    public void WriteTlsAsSecretVolume(X509Certificate2 leaf, X509Certificate2 ca)
    {
        var generation = $"..2025_01_01_00_00_{Interlocked.Increment(ref _generation):00}.{Random.Shared.Next(100000, 999999)}";
        var target = Directory.CreateDirectory(File(generation)).FullName;
        WriteTls(leaf, ca, directory: target);
        var temp = File("..data_tmp");
        System.IO.File.CreateSymbolicLink(temp, generation);
        // rename(2) replaces the old link atomically, as the kubelet's atomic writer does.
        if (Rename(temp, File("..data")) != 0) throw new IOException($"rename failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        foreach (var name in new[] { "tls.crt", "tls.key", "ca.crt" })
            if (!System.IO.File.Exists(File(name))) System.IO.File.CreateSymbolicLink(File(name), "..data/" + name);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string oldPath, string newPath);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}
