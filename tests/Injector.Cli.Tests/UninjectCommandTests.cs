namespace Injector.Cli.Tests;

/// <summary><c>appmesh-inject uninject</c> (issue 12, item 4): exact output, report and exit code for pods
/// injected by this injector, by the App Mesh controller and by the archived aws-app-mesh-inject.</summary>
public sealed class UninjectCommandTests
{
    // A pod as the App Mesh controller injects it (aws-app-mesh-controller-for-k8s pkg/inject: envoy.go adds
    // "envoy" with APPMESH_VIRTUAL_NODE_NAME, proxy.go/init_proxy.go "proxyinit" with APPMESH_START_ENABLED,
    // xray.go "xray-daemon" with its "xray" UDP port, jaeger.go the "inject-jaeger-config" init container and
    // the "envoy-tracing-config" volume, cloudmap_healthy_readiness_gate.go the Cloud Map readiness gate,
    // inject.go fsGroup 1337 and the appmesh-ecr-secret pull secret; envoy.go mounts secretMounts' secrets).
    private const string ControllerPod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: web-7d9f-x2x
          namespace: shop
          annotations:
            appmesh.k8s.aws/secretMounts: web-tls:/certs
        spec:
          readinessGates:
          - conditionType: conditions.appmesh.k8s.aws/aws-cloudmap-healthy
          securityContext:
            fsGroup: 1337
          imagePullSecrets:
          - name: appmesh-ecr-secret
          initContainers:
          - name: proxyinit
            image: 840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-proxy-route-manager:v7-prod
            env:
            - name: APPMESH_START_ENABLED
              value: "1"
          - name: inject-jaeger-config
            image: public.ecr.aws/docker/library/busybox
            volumeMounts:
            - mountPath: /tmp/envoy
              name: envoy-tracing-config
          containers:
          - name: web
            image: web:1
            volumeMounts:
            - name: data
              mountPath: /data
          - name: envoy
            image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.12.1-prod
            env:
            - name: APPMESH_RESOURCE_ARN
              value: arn:aws:appmesh:us-west-2:111122223333:mesh/m/virtualNode/web
            volumeMounts:
            - name: web-tls
              mountPath: /certs
              readOnly: true
            - name: envoy-tracing-config
              mountPath: /tmp/envoy
          - name: xray-daemon
            image: public.ecr.aws/xray/aws-xray-daemon
            ports:
            - containerPort: 2000
              name: xray
              protocol: UDP
          volumes:
          - name: data
            emptyDir: {}
          - name: web-tls
            secret:
              secretName: web-tls
          - name: envoy-tracing-config
            emptyDir: {}
        """;

    [Fact]
    public void A_pod_injected_by_the_controller_loses_its_sidecars_and_keeps_what_cannot_be_told_apart()
    {
        var result = Cli.Run(ControllerPod + "\n", "uninject", "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-7d9f-x2x
              namespace: shop
              annotations:
                appmesh.k8s.aws/secretMounts: web-tls:/certs
            spec:
              securityContext:
                fsGroup: 1337
              imagePullSecrets:
              - name: appmesh-ecr-secret
              containers:
              - name: web
                image: web:1
                volumeMounts:
                - name: data
                  mountPath: /data
              volumes:
              - name: data
                emptyDir: {}

            """, result.Stdout);
        Assert.Equal(
        [
            "<stdin>:1: Pod shop/web-7d9f-x2x: uninjected (removed container envoy, container xray-daemon, init container proxyinit, init container inject-jaeger-config, volume web-tls, volume envoy-tracing-config, readiness gate conditions.appmesh.k8s.aws/aws-cloudmap-healthy)",
            "<stdin>:1: Pod shop/web-7d9f-x2x: warning: securityContext.fsGroup 1337 is kept: App Mesh injectors set it when a pod had none; remove it if you did not set it",
            "<stdin>:1: Pod shop/web-7d9f-x2x: warning: image pull secret appmesh-ecr-secret is kept: App Mesh injectors add it with their ECR secret option; remove it if your own images do not need it",
            "<stdin>:1: Pod shop/web-7d9f-x2x: warning: no status annotation of this injector: the sidecars were recognised by name and content (App Mesh controller or aws-app-mesh-inject)",
            "1 uninjected, 0 not injected, 0 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Fact]
    public void A_pod_of_the_archived_injector_in_cni_mode_loses_the_annotations_only_injectors_write()
    {
        // aws-app-mesh-inject pkg/patch/patch.go: CNI annotations; sidecar.go: envoy with APPMESH_VIRTUAL_NODE_NAME.
        const string input = """
            kind: Deployment
            metadata: {name: api, namespace: web}
            spec:
              template:
                metadata:
                  annotations:
                    appmesh.k8s.aws/sidecarInjectorWebhook: enabled
                    appmesh.k8s.aws/ports: "8080"
                    appmesh.k8s.aws/proxyEgressPort: "15001"
                    appmesh.k8s.aws/proxyIngressPort: "15000"
                    appmesh.k8s.aws/ignoredUID: "1337"
                spec:
                  containers:
                  - name: api
                    image: api:1
                  - name: envoy
                    image: envoy
                    env:
                    - name: APPMESH_VIRTUAL_NODE_NAME
                      value: mesh/m/virtualNode/api
            """;

        var result = Cli.Run(input + "\n", "uninject", "-q", "-f", "-");

        Assert.Equal((0, ""), (result.ExitCode, result.Stderr));
        Assert.Equal("""
            kind: Deployment
            metadata: {name: api, namespace: web}
            spec:
              template:
                metadata:
                  annotations:
                    appmesh.k8s.aws/sidecarInjectorWebhook: enabled
                    appmesh.k8s.aws/ports: "8080"
                spec:
                  containers:
                  - name: api
                    image: api:1

            """, result.Stdout);
    }

    [Fact]
    public void Pods_without_an_injected_sidecar_are_left_alone_and_a_user_container_named_envoy_is_not_taken_for_one()
    {
        const string input = "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: envoy   # the user's own proxy\n    image: envoyproxy/envoy:v1.31\n";

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((0, input), (result.ExitCode, result.Stdout));
        Assert.Equal(["<stdin>:1: Pod default/p: skipped (not-injected): no sidecar from an App Mesh injector", "0 uninjected, 1 not injected, 0 passed through, 0 failed, 0 unreadable"], result.ReportLines);
    }

    [Fact]
    public void A_virtual_gateways_own_envoy_stays_in_its_manifest_and_in_a_pod_the_controller_configured()
    {
        // App Mesh's documentation has users write the gateway's Envoy with APPMESH_RESOURCE_ARN; the controller
        // (virtualgateway_envoy.go) only configures that container, with APPMESH_VIRTUAL_NODE_NAME mesh/<mesh>/virtualGateway/<name>.
        const string input = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: ingress-gw
              namespace: howto-k8s
            spec:
              template:
                spec:
                  containers:
                    - name: envoy
                      image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod
                      env:
                        - name: APPMESH_RESOURCE_ARN
                          value: mesh/howto-k8s/virtualGateway/ingress-gw_howto-k8s
                      ports:
                        - containerPort: 8088
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: ingress-gw-5d8f-x7k2p
              namespace: howto-k8s
            spec:
              containers:
              - env:
                - name: APPMESH_VIRTUAL_NODE_NAME
                  value: mesh/howto-k8s/virtualGateway/ingress-gw_howto-k8s
                image: 840364872350.dkr.ecr.us-west-2.amazonaws.com/aws-appmesh-envoy:v1.29.6.0-prod
                name: envoy
              - name: xray-daemon
                image: public.ecr.aws/xray/aws-xray-daemon
                ports:
                - containerPort: 2000
                  name: xray
                  protocol: UDP

            """;

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((0, input), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Deployment howto-k8s/ingress-gw: skipped (not-injected): no sidecar from an App Mesh injector: container envoy is the Envoy of mesh/howto-k8s/virtualGateway/ingress-gw_howto-k8s, which the App Mesh controller configures but does not inject; it stays",
            "<stdin>:18: Pod howto-k8s/ingress-gw-5d8f-x7k2p: skipped (not-injected): no sidecar from an App Mesh injector: container envoy is the Envoy of mesh/howto-k8s/virtualGateway/ingress-gw_howto-k8s, which the App Mesh controller configures but does not inject; it stays",
            "0 uninjected, 2 not injected, 0 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Fact]
    public void An_xray_daemon_without_an_injected_envoy_is_the_users_own_and_an_envoy_alone_in_its_pod_is_no_sidecar()
    {
        const string input = """
            apiVersion: apps/v1
            kind: DaemonSet
            metadata:
              name: xray-daemon
              namespace: kube-system
            spec:
              template:
                spec:
                  containers:
                    - name: xray-daemon
                      image: public.ecr.aws/xray/aws-xray-daemon:3.3.7
                      ports:
                        - name: xray
                          containerPort: 2000
                          hostPort: 2000
                          protocol: UDP
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: shop
            spec:
              template:
                spec:
                  containers:
                    - name: shop
                      image: shop:1
                    # our own daemon, for the X-Ray SDK
                    - name: xray-daemon
                      image: public.ecr.aws/xray/aws-xray-daemon:3.3.7
                      ports:
                        - name: xray
                          containerPort: 2000
                          protocol: UDP
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: front-envoy
            spec:
              template:
                spec:
                  containers:
                    - name: envoy
                      image: public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod
                      env:
                        - name: APPMESH_RESOURCE_ARN
                          value: arn:aws:appmesh:us-west-2:111122223333:mesh/m/virtualNode/front

            """;

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((0, input), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: DaemonSet kube-system/xray-daemon: skipped (not-injected): no sidecar from an App Mesh injector",
            "<stdin>:18: Deployment default/shop: skipped (not-injected): no sidecar from an App Mesh injector",
            "<stdin>:36: Deployment default/front-envoy: skipped (not-injected): no sidecar from an App Mesh injector: container envoy is the pod's only container, so it is the pod's own Envoy, not a sidecar; it stays",
            "0 uninjected, 3 not injected, 0 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Fact]
    public void The_report_names_the_cni_annotations_it_removes()
    {
        const string input = """
            kind: Pod
            metadata:
              name: api
              annotations:
                appmesh.k8s.aws/ports: "8080"
                appmesh.k8s.aws/proxyEgressPort: "15001"
                appmesh.k8s.aws/proxyIngressPort: "15000"
                appmesh.k8s.aws/ignoredUID: "1337"
            spec:
              containers:
              - name: api
                image: api:1
              - name: envoy
                image: envoy
                env:
                - name: APPMESH_VIRTUAL_NODE_NAME
                  value: mesh/m/virtualNode/api

            """;

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((0, "kind: Pod\nmetadata:\n  name: api\n  annotations:\n    appmesh.k8s.aws/ports: \"8080\"\nspec:\n  containers:\n  - name: api\n    image: api:1\n"), (result.ExitCode, result.Stdout));
        Assert.Equal("<stdin>:1: Pod default/api: uninjected (removed container envoy, annotation appmesh.k8s.aws/proxyEgressPort, annotation appmesh.k8s.aws/proxyIngressPort, annotation appmesh.k8s.aws/ignoredUID)", result.ReportLines[0]);
    }

    [Fact]
    public void The_injection_switch_an_injector_wrote_in_cni_mode_is_kept_with_a_warning_that_it_injects_again()
    {
        // aws-app-mesh-controller-for-k8s cni_proxy.go and aws-app-mesh-inject write sidecarInjectorWebhook: enabled.
        const string input = """
            kind: Pod
            metadata:
              name: api
              annotations:
                appmesh.k8s.aws/sidecarInjectorWebhook: enabled
                appmesh.k8s.aws/ignoredUID: "1337"
            spec:
              containers:
              - name: api
                image: api:1
              - name: envoy
                image: envoy
                env:
                - name: APPMESH_VIRTUAL_NODE_NAME
                  value: mesh/m/virtualNode/api

            """;

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((0, "kind: Pod\nmetadata:\n  name: api\n  annotations:\n    appmesh.k8s.aws/sidecarInjectorWebhook: enabled\nspec:\n  containers:\n  - name: api\n    image: api:1\n"), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Pod default/api: uninjected (removed container envoy, annotation appmesh.k8s.aws/ignoredUID)",
            "<stdin>:1: Pod default/api: warning: annotation appmesh.k8s.aws/sidecarInjectorWebhook: enabled is kept (App Mesh injectors write it in CNI mode): in a namespace still labelled for injection the pod is injected again when it is created; remove the namespace's label, or set the annotation to disabled",
            "<stdin>:1: Pod default/api: warning: no status annotation of this injector: the sidecars were recognised by name and content (App Mesh controller or aws-app-mesh-inject)",
            "1 uninjected, 0 not injected, 0 passed through, 0 failed, 0 unreadable",
        ], result.ReportLines);
    }

    [Theory]
    [InlineData("injected")]
    [InlineData("'[1]'")]
    // JSON objects, but not of the shape an injector writes: edited by hand.
    [InlineData("'{\"containers\":5,\"added\":[\"/x\"]}'")]
    [InlineData("'{\"containers\":[\"envoy\"],\"added\":[\"spec\"]}'")]
    [InlineData("'{\"containers\":[\"envoy\"],\"added\":[],\"replaced\":[]}'")]
    [InlineData("'{\"containers\":[1],\"added\":[]}'")]
    public void A_status_annotation_that_is_not_the_injectors_json_fails_the_document_and_nothing_is_written(string status)
    {
        var input = $"kind: Pod\nmetadata:\n  name: p\n  annotations: {{appmesh.k8s.aws/sidecarInjectorStatus: {status}}}\nspec:\n  containers: [{{name: a, image: b}}]\n";

        var result = Cli.Run(input, "uninject", "-f", "-");

        Assert.Equal((1, ""), (result.ExitCode, result.Stdout));
        Assert.Equal(
        [
            "<stdin>:1: Pod default/p: failed (invalid-status): annotation appmesh.k8s.aws/sidecarInjectorStatus is not the JSON object this injector writes; remove the sidecars by hand",
            "0 uninjected, 0 not injected, 0 passed through, 1 failed, 0 unreadable",
            "appmesh-inject: 1 document failed, so nothing was written to standard output; fix it, or pass --continue-on-error to write the others",
        ], result.ReportLines);
    }

    [Fact]
    public void A_status_written_before_the_record_existed_removes_the_named_sidecars_and_says_what_it_keeps()
    {
        const string input = """
            kind: Pod
            metadata:
              name: p
              annotations:
                appmesh.k8s.aws/mesh: demo
                appmesh.k8s.aws/virtualNode: p-default
                appmesh.k8s.aws/sidecarInjectorStatus: '{"containers":["envoy"],"initContainers":["proxyinit"],"volumes":[],"version":"0.1.0"}'
            spec:
              containers:
              - name: a
                image: b
              - name: envoy
                image: e
              initContainers:
              - name: proxyinit
                image: i
            """;

        var result = Cli.Run(input + "\n", "uninject", "-f", "-");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("kind: Pod\nmetadata:\n  name: p\n  annotations:\n    appmesh.k8s.aws/mesh: demo\n    appmesh.k8s.aws/virtualNode: p-default\nspec:\n  containers:\n  - name: a\n    image: b\n", result.Stdout);
        Assert.Contains("<stdin>:1: Pod default/p: warning: the status annotation does not say which fields the injection created (injector version 0.1.0); the annotations appmesh.k8s.aws/mesh and appmesh.k8s.aws/virtualNode and securityContext.fsGroup are kept: remove them if you did not set them", result.ReportLines);
    }

    [Fact]
    public void Uninject_patch_output_gives_the_operations_per_resource()
    {
        var injected = Cli.Inject("kind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: b}]\n", "-q", "-f", "-");

        var patch = Cli.Run(injected.Stdout, "uninject", "-q", "-o", "patch", "-f", "-");

        var entry = Assert.Single(System.Text.Json.Nodes.JsonNode.Parse(patch.Stdout)!.AsArray())!;
        Assert.Equal(
            """[{"op":"remove","path":"/metadata/annotations"},{"op":"remove","path":"/spec/initContainers"},{"op":"remove","path":"/spec/securityContext"},{"op":"replace","path":"/spec/containers","value":[{"name":"a","image":"b"}]}]""",
            entry["patch"]!.ToJsonString());
    }
}
