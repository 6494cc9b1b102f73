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
        builder.Services.AddSingleton<ILoggerProvider>(_ => new JsonLineLoggerProvider(Console.OpenStandardOutput()));
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

        // Metrics and one log line per decision.
        builder.AddObservability();

        // The Kubernetes API (in-cluster or --kubeconfig): owner lookups, namespace defaults, version, Events, caBundle.
        builder.AddKubernetes(options);

        // HTTPS with the configured certificate (reloaded on rotation), or one generated in memory.
        builder.AddServingCertificate(options);

        // Bounds on what clients may make the server hold: body size, read-ahead, memory of reviews in flight.
        builder.AddServingLimits();

        // Readiness, and draining in-flight reviews on SIGTERM.
        builder.AddLifecycle(options, DrainTimeout);

        configure?.Invoke(builder);
        var app = builder.Build();

        // Endpoints: admission, health, metrics.
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
            await Console.Error.WriteLineAsync("appmesh-inject: " + ex.Message);
            return 2;
        }
        app.Services.GetRequiredService<CertificateStore>();
        var port = app.Services.GetRequiredService<WebhookOptions>().Port;
        try
        {
            await app.RunAsync();
        }
        catch (IOException ex)
        {
            // Typically the port is taken: say so in one line instead of a crash with a stack trace.
            await Console.Error.WriteLineAsync($"appmesh-inject: cannot serve on port {port}: {ex.Message}");
            return 1;
        }
        return 0;
    }

    /// <summary><c>--help</c>: every option the webhook accepts, with its environment variables.</summary>
    public static string Help() =>
        "appmesh-inject webhook: injects App Mesh Envoy sidecars into pods.\n\nFlags (environment variables in brackets):\n"
        + string.Concat(SettingsLoader.Describe(OptionTables).Select(d => $"  {d.Flag,-36} [{d.Env}] {d.Help}\n"));
}
