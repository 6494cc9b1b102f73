using k8s;
using k8s.Models;

namespace Injector.Shipping.Tests;

// cert-manager.io/v1 objects the chart renders. KubernetesClient has no models for them, so these
// list exactly the fields the chart uses; strict loading rejects anything else.

public sealed class CertManagerCertificate : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public CertificateSpec Spec { get; set; } = new();
}

public sealed class CertificateSpec
{
    public string? SecretName { get; set; }
    public string? CommonName { get; set; }
    public List<string>? DnsNames { get; set; }
    public string? Duration { get; set; }
    public string? RenewBefore { get; set; }
    public List<string>? Usages { get; set; }
    public bool? IsCA { get; set; }
    public CertificatePrivateKey? PrivateKey { get; set; }
    public IssuerReference IssuerRef { get; set; } = new();
}

public sealed class CertificatePrivateKey
{
    public string? Algorithm { get; set; }
    public int? Size { get; set; }
    public string? RotationPolicy { get; set; }
}

public sealed class IssuerReference
{
    public string Name { get; set; } = "";
    public string? Kind { get; set; }
    public string? Group { get; set; }
}

public sealed class CertManagerIssuer : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public V1ObjectMeta Metadata { get; set; } = new();
    public IssuerSpec Spec { get; set; } = new();
}

public sealed class IssuerSpec
{
    public SelfSignedIssuer? SelfSigned { get; set; }
    public CaIssuer? Ca { get; set; }
}

public sealed class SelfSignedIssuer;

public sealed class CaIssuer
{
    public string SecretName { get; set; } = "";
}
