using k8s.Exceptions;

namespace Injector.Configuration.Tests;

/// <summary>A kubeconfig list is read as kubectl reads it, by the webhook and the command-line tool alike, and a
/// file that is not a kubeconfig is a one-line error naming it.</summary>
public sealed class KubeconfigFilesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kubeconfig-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private static string Config(string cluster, string server, string? currentContext) =>
        $"apiVersion: v1\nkind: Config\nclusters:\n- name: {cluster}\n  cluster: {{server: '{server}'}}\nusers:\n- name: u\n  user: {{token: t}}\n" +
        $"contexts:\n- name: {cluster}\n  context: {{cluster: {cluster}, user: u}}\n" + (currentContext is null ? "" : $"current-context: {currentContext}\n");

    [Fact]
    public void A_list_passes_over_missing_files_takes_the_first_current_context_and_the_first_definition_of_each_name()
    {
        var team = Write("team", Config("shared", "https://10.0.0.1", currentContext: null));
        var eks = Write("eks", Config("shared", "https://10.0.0.2", currentContext: "shared"));
        var list = string.Join(Path.PathSeparator, Path.Combine(_dir.FullName, "missing"), team, eks);

        var merged = KubeconfigFiles.Read(list);

        Assert.Equal("shared", merged.CurrentContext);
        Assert.Equal("https://10.0.0.1", Assert.Single(merged.Clusters).ClusterEndpoint.Server);
        Assert.Equal("shared", Assert.Single(merged.Contexts).Name);
    }

    [Fact]
    public void A_list_of_which_no_file_exists_or_no_file_names_a_current_context_is_refused_with_the_reason()
    {
        var noContext = Write("plain", Config("c", "https://10.0.0.1", currentContext: null));

        Assert.Equal("no such file", Assert.Throws<KubeConfigException>(() => KubeconfigFiles.Read(Path.Combine(_dir.FullName, "a") + Path.PathSeparator + _dir.FullName)).Message);
        Assert.Equal("no current-context", Assert.Throws<KubeConfigException>(() => KubeconfigFiles.Read(noContext)).Message);
    }

    [Theory]
    [InlineData("apiVersion: v1\nkind: [Config\n", "line 3, column 1: While parsing a flow sequence, did not find expected ',' or ']'.")]
    [InlineData("apiVersion: v1\nkind: Config\nclusters: {a: 1}\n", "line 3, column 11: Expected 'SequenceStart', got 'MappingStart' (at Line: 3, Col: 11, Idx: 38).")]
    public void A_file_that_is_not_a_kubeconfig_is_one_message_with_its_name_and_place(string text, string problem)
    {
        var path = Write("config", text);

        var error = Assert.Throws<KubeConfigException>(() => KubeconfigFiles.Read(path));

        Assert.Equal($"{path} is not a kubeconfig: {problem}", error.Message);
    }

    [Fact]
    public void A_kubeconfig_nested_far_deeper_than_one_is_refused_as_it_is_read()
    {
        // 100,000 levels kept the client library's reader busy for minutes.
        var path = Write("config", "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n  cluster:\n    extensions: " + new string('[', 100_000) + new string(']', 100_000) + "\n");

        var error = Assert.Throws<KubeConfigException>(() => KubeconfigFiles.Read(path));

        Assert.Equal($"{path} is not a kubeconfig: line 6, column 77: nested more than 64 deep, where a kubeconfig has a few levels", error.Message);
    }

    [Fact]
    public void A_relative_certificate_path_in_a_kubeconfig_is_read_from_that_files_folder()
    {
        var file = Write(Path.Combine("team", "config"), "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://10.0.0.1', certificate-authority: ca.crt}\nusers:\n- name: u\n  user: {client-certificate: /abs/client.crt, client-key: keys/client.key}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n");

        var merged = KubeconfigFiles.Merge([new FileInfo(file)]);

        Assert.Equal(Path.Combine(_dir.FullName, "team", "ca.crt"), merged.Clusters.Single().ClusterEndpoint.CertificateAuthority);
        Assert.Equal("/abs/client.crt", merged.Users.Single().UserCredentials.ClientCertificate);
        Assert.Equal(Path.Combine(_dir.FullName, "team", "keys", "client.key"), merged.Users.Single().UserCredentials.ClientKey);
        Assert.Equal("x", merged.CurrentContext);
    }
}
