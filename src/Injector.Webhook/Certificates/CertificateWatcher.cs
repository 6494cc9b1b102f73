using Injector.Webhook.Observability;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Injector.Webhook.Certificates;

/// <summary>How often the certificate files are read again when no file-system event arrived.</summary>
public sealed class CertificateWatchOptions
{
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Events come in bursts during a rotation (key, then certificate, then symlink): wait for quiet.</summary>
    public TimeSpan Debounce { get; set; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>Reloads the serving certificate when its files change. Kubernetes secret volumes rotate by
/// swapping the <c>..data</c> symlink in the mount directory, which changes no watched file in place,
/// so the whole directory is watched, and a periodic poll catches anything the watcher misses.</summary>
public sealed class CertificateWatcher(CertificateStore store, CertificateWatchOptions options, ILogger<CertificateWatcher> logger) : BackgroundService
{
    private readonly SemaphoreSlim _signal = new(0);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store.CertFile is null || store.KeyFile is null) return;
        var watchers = new List<FileSystemWatcher>();
        foreach (var directory in new[] { store.CertFile, store.KeyFile }.Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!).Distinct())
        {
            try
            {
                var watcher = new FileSystemWatcher(directory) { IncludeSubdirectories = false, NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime };
                watcher.Changed += (_, _) => Signal();
                watcher.Created += (_, _) => Signal();
                watcher.Deleted += (_, _) => Signal();
                watcher.Renamed += (_, _) => Signal();
                watcher.Error += (_, e) => WebhookLog.CertificateWatchFailed(logger, e.GetException(), options.PollInterval);
                watcher.EnableRaisingEvents = true;
                watchers.Add(watcher);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or PlatformNotSupportedException)
            {
                WebhookLog.CertificateDirectoryNotWatched(logger, directory, ex.Message, options.PollInterval);
            }
        }
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await _signal.WaitAsync(options.PollInterval, stoppingToken);
                await Task.Delay(options.Debounce, stoppingToken);
                while (_signal.CurrentCount > 0) _signal.Wait(0, stoppingToken);
                ReloadOnce();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var watcher in watchers) watcher.Dispose();
        }
    }

    private void Signal()
    {
        if (_signal.CurrentCount == 0) _signal.Release();
    }

    /// <summary>One reload attempt, logged.</summary>
    public void ReloadOnce()
    {
        var outcome = store.Reload();
        // With nothing loaded yet (files missing or unusable at start-up) there is no current certificate to keep:
        // the webhook stays not ready, and the line says so as the start-up line did.
        if (outcome.Error is not null && store.Current is null)
            WebhookLog.CertificateNotLoaded(logger, outcome.Error);
        else if (outcome.Error is not null)
            WebhookLog.CertificateNotReloaded(logger, outcome.Error);
        else if (outcome.Changed)
        {
            var notAfter = store.Current!.NotAfter.ToUniversalTime();
            WebhookLog.CertificateReloaded(logger, store.Current.Subject, notAfter);
            CertificateStore.WarnIfOutOfDate(logger, store.Current, DateTime.UtcNow);
        }
    }
}

public static class CertificateSetup
{
    /// <summary>HTTPS on <c>--port</c> with the configured certificate (reloaded when its files change) or one
    /// generated in memory; TLS 1.2 minimum, or 1.3 with <c>--tls-min-version</c>; TLS 1.2's cipher suites
    /// from <c>--tls-cipher-suite</c>.</summary>
    public static WebApplicationBuilder AddServingCertificate(this WebApplicationBuilder builder, WebhookOptions options)
    {
        builder.Services.AddSingleton(sp =>
        {
            var store = CertificateStore.Create(options, sp.GetRequiredService<ILogger<CertificateStore>>());
            sp.GetRequiredService<InjectorMetrics>().ObserveCertificate(() => store.Current is { } c ? new DateTimeOffset(c.NotAfter.ToUniversalTime()) : null);
            return store;
        });
        builder.Services.AddSingleton<CertificateWatchOptions>();
        // As in Go's crypto/tls, the list governs TLS 1.2 only; TLS 1.3's suites stay on.
        var cipherSuites = options.TlsCipherSuites is { } suites && !OperatingSystem.IsWindows()
            ? new System.Net.Security.CipherSuitesPolicy([.. suites, .. WebhookOptions.Tls13Suites])
            : null;
        builder.Services.AddHostedService<CertificateWatcher>();
        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.ListenAnyIP(options.Port, listen =>
            {
                // In front of TLS: the client's address for the line about a failed handshake.
                listen.Use(TlsHandshakeMonitor.NoteRemoteAddress);
                // Also in front of TLS: a closing HTTP/2 connection reads what its client still sends (LingeringClose).
                listen.Use(LingeringClose.Middleware);
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // Per handshake, so that a rotated certificate (and its intermediates) is used at once.
                    OnConnection = _ =>
                    {
                        var store = kestrel.ApplicationServices.GetRequiredService<CertificateStore>();
                        // An authentication failure, which Kestrel reports as a failed handshake (logged and counted).
                        if (store.Context is not { } context) throw new System.Security.Authentication.AuthenticationException(HandshakeFailure.NoCertificateMessage);
                        TlsHandshakeMonitor.NoteCertificateOffered();
                        return ValueTask.FromResult(new System.Net.Security.SslServerAuthenticationOptions
                        {
                            ServerCertificateContext = context,
                            EnabledSslProtocols = options.TlsProtocols,
                            CipherSuitesPolicy = cipherSuites,
                        });
                    },
                });
                // Inside TLS: which protocol the connection speaks, for LingeringClose.
                listen.Use(LingeringClose.NoteProtocol);
            });
        });
        return builder;
    }
}
