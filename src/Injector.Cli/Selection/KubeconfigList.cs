using k8s;
using k8s.KubeConfigModels;

namespace Injector.Cli.Selection;

/// <summary>A <c>KUBECONFIG</c> list of files read as one configuration.</summary>
public static class KubeconfigList
{
    /// <summary>The files of a kubeconfig list merged as kubectl merges them: the first file that sets
    /// <c>current-context</c> sets it, and of the clusters, users and contexts of one name the first file's is
    /// kept. A relative file path in a file (certificate authority, client certificate and key) is read from that
    /// file's folder, as kubectl reads it.</summary>
    public static K8SConfiguration Merge(IReadOnlyList<FileInfo> files)
    {
        string? currentContext = null;
        var clusters = new List<Cluster>();
        var users = new List<User>();
        var contexts = new List<Context>();
        foreach (var file in files)
        {
            var config = KubernetesClientConfiguration.LoadKubeConfig(file, useRelativePaths: false);
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
}
