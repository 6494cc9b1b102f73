using Injector.Configuration;
using Injector.Core.Admission;
using Injector.Core.Injection;
using Injector.Core.Settings;
using Injector.Webhook.Certificates;
using Injector.Webhook.Kubernetes;
using Injector.Webhook.Observability;

namespace Injector.Webhook;

/// <summary>The configuration could not be read; the messages say what to fix.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> errors)
    : Exception("invalid configuration:\n  " + string.Join("\n  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>Builds and runs the webhook; tests build the same application in memory or on a loopback port.</summary>
public static class WebhookHost
{
    /// <summary>How long in-flight reviews may take to finish once the shutdown delay is over: reviews normally
    /// take milliseconds, and one answers by 80% of its timeout (the chart's is 10 s). Exit comes at most
    /// <c>--shutdown-delay</c> + this after SIGTERM, within Kubernetes' default 30 s grace period for the
    /// chart's delay of 5 s.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The options the webhook accepts: the engine's, then its own.</summary>
    public static IReadOnlyList<IOptionTable> OptionTables { get; } = [EngineOptions.Table, WebhookOptions.Table];

    /// <summary>Reads the webhook's options (<see cref="OptionTables"/>) from flags, the environment and
    /// <c>--config</c>; the result holds <see cref="InjectorSettings"/> and <see cref="WebhookOptions"/>.</summary>
    public static SettingsResult LoadOptions(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment) =>
        SettingsLoader.Load(OptionTables, args, environment);

    /// <summary>Builds the application from flags and environment variables.</summary>
    /// <param name="args">Command-line flags (see <c>--help</c>).</param>
    /// <param name="environment">Environment variables; the process environment when null.</param>
    /// <param name="configure">Last-minute changes to the builder (tests swap the server or services).</param>
    /// <exception cref="ConfigurationException">The configuration is invalid.</exception>
    public static WebApplication Build(string[] args, IReadOnlyDictionary<string, string>? environment = null, Action<WebApplicationBuilder>? configure = null)
    {
        var loaded = LoadOptions(args, environment ?? EnvironmentVariables.ToDictionary(Environment.GetEnvironmentVariables()));
        if (!loaded.Ok) throw new ConfigurationException(loaded.Errors);
        var settings = loaded.Get<InjectorSettings>();
        var options = loaded.Get<WebhookOptions>();

        // No appsettings.json to reload: without this the host watches its content root (the working
        // directory) and pays for every file event there, measured at ~9% of the CPU under load.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });

        // One JSON line per log entry, for log pipelines.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerProvider>(_ => new JsonLineLoggerProvider(Console.OpenStandardOutput(), drop: IsCannotServe));
        // DecisionLog already writes one line per review; ASP.NET Core's per-request lines (request
        // starting/finished, endpoint executing) would add four more and cost most of the throughput.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // With any level enabled, hosting starts an Activity per request for log scopes nobody reads here.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);

        // The engine and its inputs; without a cluster: no owner lookups, no namespace defaults, classic.
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new PodInjector(settings));
        builder.Services.AddSingleton<IClusterState>(NoClusterState.Instance);
        builder.Services.AddSingleton(sp => new AdmissionHandler(
            sp.GetRequiredService<PodInjector>(),
            sp.GetService<Injector.Core.Naming.IOwnerLookup>(),
            sp.GetRequiredService<IClusterState>()));

        // Metrics, one log line per decision, failed handshakes, client problems, the failure policy, the start-up line.
        builder.AddObservability(settings, new OptionSources(loaded.Sources));

        // The Kubernetes API (in-cluster or --kubeconfig): owner lookups, namespace defaults, version, Events, caBundle.
        builder.AddKubernetes(options);

        // HTTPS with the configured certificate (reloaded on rotation), or one generated in memory; then the
        // plain-HTTP port for metrics and health, if any.
        builder.AddServingCertificate(options);
        builder.AddMetricsPort(options);

        // Bounds on what clients may make the server hold: body size, read-ahead, memory of reviews in flight.
        builder.AddServingLimits();

        // Readiness, and draining in-flight reviews on SIGTERM.
        builder.AddLifecycle(options, DrainTimeout);

        configure?.Invoke(builder);
        var app = builder.Build();

        // Endpoints: admission, health, metrics; in front of them, the metrics port's gate and the count of
        // requests that never reach a decision.
        app.UseObservability();
        app.MapAdmission();
        app.MapHealth();
        app.MapMetrics();
        return app;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.Write(Help());
            return 0;
        }
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ConfigurationException ex)
        {
            // A JSON line like every other, on stderr: nothing has started, and a pod's log shows both streams.
            using var errors = new JsonLineLoggerProvider(Console.OpenStandardError());
            var logger = errors.CreateLogger("Injector.Webhook");
            var problems = string.Join("; ", ex.Errors);
            WebhookLog.InvalidConfiguration(logger, problems, ex.Errors);
            return 2;
        }
        app.Services.GetRequiredService<CertificateStore>();
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex)
        {
            // Typically a port is taken: an expected failure, said in one line without a stack trace (the host's
            // own line about it is dropped, see IsCannotServe). The host's loggers are gone with it by now.
            using var output = new JsonLineLoggerProvider(Console.OpenStandardOutput());
            var logger = output.CreateLogger("Injector.Webhook");
            var error = ex.Message;
            WebhookLog.CannotServe(logger, error);
            return 1;
        }
        return 0;
    }

    /// <summary>The host's "Hosting failed to start" entry for a listener that cannot bind (RunAsync says it instead).</summary>
    private static bool IsCannotServe(string category, Exception? exception) =>
        category == "Microsoft.Extensions.Hosting.Internal.Host" && exception is IOException;

    /// <summary><c>--help</c>: every option the webhook accepts, with its environment variables.</summary>
    public static string Help() =>
        "appmesh-inject webhook: injects App Mesh Envoy sidecars into pods.\n\nFlags (environment variables in brackets):\n"
        + string.Concat(SettingsLoader.Describe(OptionTables).Select(d => $"  {d.Flag,-36} [{d.Env}] {d.Help}\n"));
}
