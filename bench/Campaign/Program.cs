using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Injector.TestSupport;

// campaign URL COUNT SEED http1|http2 [CONCURRENCY]: sends COUNT fuzzed reviews, writes one line per review:
// {"seed":…,"status":…,"request":"<base64 body>","answer":"<text>"} (or "error" for a client failure).
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: campaign URL COUNT SEED http1|http2 [CONCURRENCY]");
    return 2;
}
var url = new Uri(args[0]);
var count = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
var seed = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var http2 = args[3] == "http2";
var concurrency = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 16;

using var client = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = concurrency,
    // Loopback only, to a webhook serving its throw-away in-memory certificate.
#pragma warning disable CA5359
    SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
#pragma warning restore CA5359
})
{
    Timeout = TimeSpan.FromSeconds(30),
    DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
    DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
};
var output = Console.OpenStandardOutput();
var gate = new object();
var next = 0;
var fuzzers = Enumerable.Range(0, concurrency).Select(i => new ReviewFuzzer(seed * 1000 + i)).ToArray();
await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
{
    while (Interlocked.Increment(ref next) <= count)
    {
        var (body, _, _) = fuzzers[worker].Next();
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var line = new Dictionary<string, object?> { ["request"] = Convert.ToBase64String(body), ["protocol"] = http2 ? "2" : "1.1" };
        try
        {
            using var response = await client.PostAsync(url, content);
            line["status"] = (int)response.StatusCode;
            line["answer"] = await response.Content.ReadAsStringAsync();
            line["version"] = response.Version.ToString();
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            line["error"] = ex.GetType().Name + ": " + ex.Message;
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(line);
        lock (gate)
        {
            output.Write(bytes);
            output.WriteByte((byte)'\n');
        }
    }
}));
output.Flush();
return 0;
