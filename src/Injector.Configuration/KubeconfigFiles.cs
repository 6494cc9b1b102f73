using k8s;
using k8s.Exceptions;
using k8s.KubeConfigModels;

namespace Injector.Configuration;

/// <summary>A kubeconfig named by <c>--kubeconfig</c> or <c>KUBECONFIG</c>, read as kubectl reads it: a list of
/// files (separated as <c>PATH</c> is), merged into one configuration. The webhook and the command-line tool both
/// read it here, so that a list that works for kubectl works for both.</summary>
public static class KubeconfigFiles
{
    /// <summary>The files of <paramref name="list"/> that exist, merged (<see cref="Merge"/>).</summary>
    /// <exception cref="KubeConfigException">No file of the list exists, one cannot be read or is not a
    /// kubeconfig, or none names a current context. The message says which, without a stack trace.</exception>
    public static K8SConfiguration Read(string list)
    {
        var files = list.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(p => new FileInfo(p)).Where(f => f.Exists).ToArray();
        if (files.Length == 0) throw new KubeConfigException("no such file");
        var merged = Merge(files);
        if (string.IsNullOrEmpty(merged.CurrentContext)) throw new KubeConfigException("no current-context");
        return merged;
    }

    /// <summary>Whether <paramref name="ex"/>, thrown while a client is built from a kubeconfig (its files read, the
    /// certificates it names or holds loaded), means the kubeconfig cannot be used: a message for the user, not a crash.
    /// The client library throws all of these; a bad base64 field or a missing key file ended both hosts.</summary>
    public static bool IsUnusable(Exception ex) =>
        ex is KubeConfigException or IOException or UnauthorizedAccessException or InvalidOperationException or FormatException
            or System.Security.Cryptography.CryptographicException;

    /// <summary>What is wrong, for an exception <see cref="IsUnusable"/> accepts.</summary>
    public static string Problem(Exception ex) => ex is FormatException
        ? "a certificate-authority-data, client-certificate-data or client-key-data field is not valid base64"
        : ex.Message;

    /// <summary>The files merged as kubectl merges them: the first file that sets <c>current-context</c> sets it,
    /// and of the clusters, users and contexts of one name the first file's is kept. A relative file path in a file
    /// (certificate authority, client certificate and key) is read from that file's folder, as kubectl reads it.</summary>
    /// <exception cref="KubeConfigException">A file cannot be read or is not a kubeconfig.</exception>
    public static K8SConfiguration Merge(IReadOnlyList<FileInfo> files)
    {
        string? currentContext = null;
        var clusters = new List<Cluster>();
        var users = new List<User>();
        var contexts = new List<Context>();
        foreach (var file in files)
        {
            var config = Load(file);
            if (string.IsNullOrEmpty(currentContext)) currentContext = config.CurrentContext;
            var folder = file.DirectoryName ?? "";
            foreach (var cluster in config.Clusters ?? [])
            {
                if (clusters.Exists(c => c.Name == cluster.Name)) continue;
                if (cluster.ClusterEndpoint is { } endpoint) endpoint.CertificateAuthority = FromFolder(folder, endpoint.CertificateAuthority);
                clusters.Add(cluster);
            }
            foreach (var user in config.Users ?? [])
            {
                if (users.Exists(u => u.Name == user.Name)) continue;
                if (user.UserCredentials is { } credentials)
                {
                    credentials.ClientCertificate = FromFolder(folder, credentials.ClientCertificate);
                    credentials.ClientKey = FromFolder(folder, credentials.ClientKey);
                }
                users.Add(user);
            }
            foreach (var context in config.Contexts ?? [])
            {
                if (!contexts.Exists(c => c.Name == context.Name)) contexts.Add(context);
            }
        }
        return new K8SConfiguration { CurrentContext = currentContext, Clusters = clusters, Users = users, Contexts = contexts };

        static string FromFolder(string folder, string path) =>
            string.IsNullOrEmpty(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path));
    }

    // The client library lets the YAML parser's and the file system's exceptions through (a malformed file ended
    // the webhook with a stack trace): each becomes one line that names the file.
    private static K8SConfiguration Load(FileInfo file)
    {
        try
        {
            // A kubeconfig is a few levels deep; the library's reader would go down anything (a deep file ran for minutes).
            var text = File.ReadAllText(file.FullName);
            ShallowYamlParser.Check(text, 64, "where a kubeconfig has a few levels");
            // Relative paths are resolved by Merge, from the file's folder.
            return KubernetesYaml.Deserialize<K8SConfiguration>(text);
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw new KubeConfigException($"{file.FullName} is not a kubeconfig: line {ex.Start.Line}, column {ex.Start.Column}: {InnermostMessage(ex)}");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            throw new KubeConfigException($"cannot read {file.FullName}: {ex.Message}");
        }
    }

    private static string InnermostMessage(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message;
    }
}
