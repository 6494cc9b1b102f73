using System.Security.Cryptography.X509Certificates;

namespace Injector.Shipping.Tests;

internal static class Certificates
{
    /// <summary>A PEM certificate file, without a key.</summary>
    public static X509Certificate2 Load(string path) => X509Certificate2.CreateFromPem(File.ReadAllText(path));

    public static List<string> DnsNames(X509Certificate2 cert) =>
        cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();

    /// <summary>True when <paramref name="leaf"/> builds a chain to <paramref name="ca"/> alone, with no system roots.</summary>
    public static bool ChainsTo(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
