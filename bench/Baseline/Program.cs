// Baseline for bench/load.sh: a bare Kestrel HTTPS endpoint serving HTTP/1.1 and HTTP/2 (chosen by ALPN, as
// the webhook's), that reads the body, parses it with JsonDocument and returns a fixed ~2.5 KB AdmissionReview
// response. Usage: appmesh-inject-baseline --port N --cert tls.crt --key tls.key
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;

string Arg(string name) =>
    args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"missing {name}");

var port = int.Parse(Arg("--port"));
using var pem = X509Certificate2.CreateFromPemFile(Arg("--cert"), Arg("--key"));
var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.ListenLocalhost(port, listen =>
    {
        listen.Protocols = HttpProtocols.Http1AndHttp2;
        listen.UseHttps(certificate);
    });
});
var app = builder.Build();

// A patch-sized base64 payload so the answer weighs what a webhook's does.
var patch = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('x', 1800)));
var response = Encoding.UTF8.GetBytes(
    "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":\"00000000-0000-0000-0000-000000000000\"," +
    "\"allowed\":true,\"patchType\":\"JSONPatch\",\"patch\":\"" + patch + "\"}}");

app.MapPost("/mutate", async (HttpContext http) =>
{
    var read = new MemoryStream();
    await http.Request.Body.CopyToAsync(read);
    using var document = JsonDocument.Parse(read.GetBuffer().AsMemory(0, (int)read.Length));
    http.Response.ContentType = "application/json";
    await http.Response.Body.WriteAsync(response);
});
app.Run();
