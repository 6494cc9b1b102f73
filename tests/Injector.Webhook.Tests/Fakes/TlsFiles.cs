using System.Security.Cryptography.X509Certificates;

namespace Injector.Webhook.Tests.Fakes;

/// <summary>Serving certificates written into a <see cref="TempDir"/>, as plain files or the way the
/// kubelet writes a secret volume (generated certificates are never committed).</summary>
public static class TlsFiles
{
    private static int _generation;

    public static string KeyPem(X509Certificate2 certificate) =>
        certificate.GetECDsaPrivateKey()?.ExportPkcs8PrivateKeyPem() ?? certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();

    /// <summary>Writes <c>tls.crt</c>, <c>tls.key</c> and (by default) <c>ca.crt</c> in place, as plain files.</summary>
    public static void WriteTls(this TempDir dir, X509Certificate2 leaf, X509Certificate2 ca, bool writeCaFile = true, bool chainCa = false, string? directory = null)
    {
        var target = directory ?? dir.Path;
        File.WriteAllText(Path.Combine(target, "tls.key"), KeyPem(leaf));
        File.WriteAllText(Path.Combine(target, "tls.crt"), leaf.ExportCertificatePem() + "\n" + (chainCa ? ca.ExportCertificatePem() + "\n" : ""));
        if (writeCaFile) File.WriteAllText(Path.Combine(target, "ca.crt"), ca.ExportCertificatePem());
    }

    /// <summary>Writes the files the way the kubelet updates a secret volume: into a new timestamped
    /// directory, then swaps the <c>..data</c> symlink atomically; <c>tls.crt</c> and friends are
    /// symlinks through <c>..data</c> and never change themselves.</summary>
    public static void WriteTlsAsSecretVolume(this TempDir dir, X509Certificate2 leaf, X509Certificate2 ca)
    {
        var generation = $"..2025_01_01_00_00_{Interlocked.Increment(ref _generation):00}.{Random.Shared.Next(100000, 999999)}";
        var target = dir.Folder(generation);
        dir.WriteTls(leaf, ca, directory: target);
        var temp = dir.File("..data_tmp");
        File.CreateSymbolicLink(temp, generation);
        // rename(2) replaces the old link atomically, as the kubelet's atomic writer does.
        if (Rename(temp, dir.File("..data")) != 0) throw new IOException($"rename failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        foreach (var name in new[] { "tls.crt", "tls.key", "ca.crt" })
            if (!File.Exists(dir.File(name))) File.CreateSymbolicLink(dir.File(name), "..data/" + name);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static extern int Rename(string oldPath, string newPath);
}
