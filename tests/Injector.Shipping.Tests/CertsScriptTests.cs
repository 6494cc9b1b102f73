using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Injector.Shipping.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CertsScriptTests : IDisposable
{
    private static readonly string Script = Path.Combine(Repo.Root, "certs", "gen-certs.sh");
    private readonly TempDir _temp = new("certs");
    private string Dir => _temp.Path;

    private static ProcessResult Generate(string outDir, params string[] args) =>
        ProcessRunner.Run("/bin/bash", [Script, "--out", outDir, .. args]);

    private string Out(string name = "out") => Path.Combine(Dir, name);

    [Fact]
    public void It_writes_exactly_the_secret_files_and_prints_the_caBundle_alone_on_stdout()
    {
        var result = Generate(Out(), "--service", "inject", "--namespace", "mesh").EnsureSuccess();

        Assert.Equal(["ca.crt", "tls.crt", "tls.key"], Directory.GetFiles(Out()).Select(Path.GetFileName).Order());
        Assert.Equal(Convert.ToBase64String(File.ReadAllBytes(Path.Combine(Out(), "ca.crt"))) + "\n", result.StdOut);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Out(), "tls.key")));
    }

    [Fact]
    public void The_serving_certificate_names_the_service_three_ways_and_may_only_serve_TLS()
    {
        Generate(Out(), "--service", "inject", "--namespace", "mesh").EnsureSuccess();
        using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(Out(), "tls.crt"), Path.Combine(Out(), "tls.key"));

        Assert.True(leaf.HasPrivateKey);
        Assert.Equal(["inject", "inject.mesh", "inject.mesh.svc"], Certificates.DnsNames(leaf));
        Assert.Empty(leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
        Assert.Equal("CN=inject.mesh.svc", leaf.Subject);

        var keyUsage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(keyUsage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, keyUsage.KeyUsages);
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1"], eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        var basic = leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.Critical);
        Assert.False(basic.CertificateAuthority);
        Assert.InRange((leaf.NotAfter - DateTime.Now).TotalDays, 823, 826);
    }

    [Fact]
    public void The_CA_can_only_sign_and_the_certificate_verifies_against_it_alone()
    {
        Generate(Out(), "--service", "inject", "--namespace", "mesh", "--days", "30").EnsureSuccess();
        using var ca = Certificates.Load(Path.Combine(Out(), "ca.crt"));
        using var leaf = Certificates.Load(Path.Combine(Out(), "tls.crt"));

        var basic = ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(basic.CertificateAuthority);
        Assert.Equal((true, 0), (basic.HasPathLengthConstraint, basic.PathLengthConstraint));
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, ca.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);

        Assert.True(Certificates.ChainsTo(leaf, ca));
        var openssl = ProcessRunner.Run(Repo.Openssl, ["verify", "-CAfile", Path.Combine(Out(), "ca.crt"), Path.Combine(Out(), "tls.crt")]);
        Assert.Equal((0, $"{Path.Combine(Out(), "tls.crt")}: OK\n"), (openssl.ExitCode, openssl.StdOut));
        Assert.InRange((leaf.NotAfter - DateTime.Now).TotalDays, 29, 31);
    }

    [Fact]
    public void Each_run_makes_a_new_CA_so_an_old_caBundle_does_not_trust_a_new_certificate()
    {
        Generate(Out("a")).EnsureSuccess();
        Generate(Out("b")).EnsureSuccess();
        using var oldCa = Certificates.Load(Path.Combine(Out("a"), "ca.crt"));
        using var newLeaf = Certificates.Load(Path.Combine(Out("b"), "tls.crt"));

        Assert.False(Certificates.ChainsTo(newLeaf, oldCa));
        Assert.Equal(["appmesh-inject", "appmesh-inject.appmesh-system", "appmesh-inject.appmesh-system.svc"], Certificates.DnsNames(newLeaf));
    }

    [Fact]
    public async Task A_TLS_server_using_the_pair_is_trusted_by_a_client_that_trusts_only_ca_crt()
    {
        Generate(Out(), "--service", "inject", "--namespace", "mesh").EnsureSuccess();
        Generate(Out("other"), "--service", "inject", "--namespace", "mesh").EnsureSuccess();
        using var serving = X509Certificate2.CreateFromPemFile(Path.Combine(Out(), "tls.crt"), Path.Combine(Out(), "tls.key"));
        await using var server = await StartTlsServer(serving);

        using var client = ClientTrusting(Path.Combine(Out(), "ca.crt"), server.Port);
        Assert.Equal("ok", await client.GetStringAsync("https://inject.mesh.svc/healthz"));

        // A client holding a stale caBundle: the handshake fails, as the API server's "bad certificate" does.
        using var stale = ClientTrusting(Path.Combine(Out("other"), "ca.crt"), server.Port);
        var error = await Assert.ThrowsAsync<HttpRequestException>(() => stale.GetStringAsync("https://inject.mesh.svc/healthz"));
        Assert.IsType<AuthenticationException>(error.InnerException);

        // A name the certificate does not carry is refused too.
        using var wrongName = ClientTrusting(Path.Combine(Out(), "ca.crt"), server.Port);
        await Assert.ThrowsAsync<HttpRequestException>(() => wrongName.GetStringAsync("https://inject.other.svc/healthz"));
    }

    [Fact]
    public void It_refuses_names_that_cannot_be_DNS_labels()
    {
        var result = Generate(Out(), "--namespace", "Mesh_System");

        Assert.Equal((2, "gen-certs: namespace 'Mesh_System' is not a DNS label\n"), (result.ExitCode, result.StdErr));
        Assert.False(Directory.Exists(Out()));
    }

    [Fact]
    public void Help_is_the_scripts_opening_comment_on_standard_error_and_nothing_after_it()
    {
        var opening = File.ReadLines(Script).Skip(1).TakeWhile(l => l.StartsWith('#')).Select(l => l.Length > 1 ? l[2..] : "");

        var result = ProcessRunner.Run("/bin/bash", [Script, "--help"], new Dictionary<string, string?>());

        Assert.Equal((0, "", string.Join("\n", opening) + "\n"), (result.ExitCode, result.StdOut, result.StdErr));
        Assert.StartsWith("Makes a private CA and a serving certificate", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public void It_refuses_clearly_without_openssl()
    {
        var emptyPath = Directory.CreateDirectory(Path.Combine(Dir, "empty-path")).FullName;
        var result = ProcessRunner.Run("/bin/bash", [Script], new Dictionary<string, string?> { ["PATH"] = emptyPath, ["OUT_DIR"] = Out() });

        Assert.Equal((1, "gen-certs: openssl is required (Debian/Ubuntu: apt-get install -y openssl)\n"), (result.ExitCode, result.StdErr));
        Assert.Equal("", result.StdOut);
    }

    internal sealed class TlsServer(WebApplication app, int port) : IAsyncDisposable
    {
        public int Port { get; } = port;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<TlsServer> StartTlsServer(X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        await app.StartAsync();
        return new TlsServer(app, Listening.Port(app));
    }

    /// <summary>An HTTPS client that resolves every name to the loopback server and trusts only the given CA file.</summary>
    internal static HttpClient ClientTrusting(string caFile, int port)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Certificates.Load(caFile));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    public void Dispose() => _temp.Dispose();
}
