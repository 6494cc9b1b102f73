#!/usr/bin/env python3
"""Writes the AdmissionReview bodies used by the benchmarks and the load script into bench/data/.

The bookinfo pods are made from Istio's bookinfo sample (Apache-2.0, samples/bookinfo/platform/kube/
bookinfo.yaml): each Deployment's pod template is turned into the pod the ReplicaSet controller
creates, with the fields the API server defaults before it calls a mutating webhook (service-account
token volume, tolerations, termination settings...), so the bodies have a real pod's size and shape.
The large pod (10 containers x 40 env vars, 20 volumes) is synthetic.

Usage: python3 bench/make-reviews.py path/to/bookinfo.yaml   (needs PyYAML)
"""
import copy, hashlib, json, os, sys
import yaml

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
NAMESPACE = "bookinfo"


def uid(seed):
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[0:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def defaulted_container(c, token_volume):
    c = copy.deepcopy(c)
    c.setdefault("resources", {})
    c.setdefault("terminationMessagePath", "/dev/termination-log")
    c.setdefault("terminationMessagePolicy", "File")
    c.setdefault("imagePullPolicy", "IfNotPresent")
    for p in c.get("ports", []):
        p.setdefault("protocol", "TCP")
    c.setdefault("volumeMounts", []).append(
        {"name": token_volume, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
    return c


def token_volume(name):
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
    ]}}


def pod_from_template(deployment_name, template, service_account):
    pod_hash = hashlib.sha1(deployment_name.encode()).hexdigest()[:10]
    rs = f"{deployment_name}-{pod_hash}"
    tv = "kube-api-access-" + hashlib.md5(rs.encode()).hexdigest()[:5]
    meta = template.get("metadata", {})
    spec = copy.deepcopy(template["spec"])
    spec["containers"] = [defaulted_container(c, tv) for c in spec["containers"]]
    spec.setdefault("volumes", []).append(token_volume(tv))
    spec.update({
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "serviceAccount": service_account, "securityContext": {}, "schedulerName": "default-scheduler",
        "tolerations": [
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}],
        "priority": 0, "enableServiceLinks": True, "preemptionPolicy": "PreemptLowerPriority",
    })
    metadata = {
        "generateName": rs + "-",
        "namespace": NAMESPACE,
        "creationTimestamp": None,
        "labels": {**meta.get("labels", {}), "pod-template-hash": pod_hash},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs, "uid": uid(rs),
                             "controller": True, "blockOwnerDeletion": True}],
        "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1",
                           "time": "2025-01-01T00:00:00Z", "fieldsType": "FieldsV1",
                           "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {".": {}},
                                                       "f:ownerReferences": {".": {}}},
                                        "f:spec": {"f:containers": {}, "f:dnsPolicy": {}, "f:volumes": {}}}}],
    }
    if meta.get("annotations"):
        metadata["annotations"] = dict(meta["annotations"])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": {}}


def review(pod, name):
    return {
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid("review-" + name),
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": NAMESPACE, "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                         "uid": uid("replicaset-controller"),
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"]},
            "object": pod, "oldObject": None, "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


def large_pod():
    containers = []
    volumes = [{"name": f"data-{v:02d}", "emptyDir": {}} for v in range(20)]
    for i in range(10):
        containers.append({
            "name": f"worker-{i}",
            "image": f"registry.example.com/team/worker-{i}:1.{i}.0",
            "ports": [{"name": f"http-{i}", "containerPort": 8080 + i}],
            "env": [{"name": f"WORKER_{i}_SETTING_{e:02d}", "value": f"value-{i}-{e}-" + "x" * 16} for e in range(40)],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}},
            "volumeMounts": [{"name": f"data-{(i * 2 + k) % 20:02d}", "mountPath": f"/data/{k}"} for k in range(2)],
        })
    template = {"metadata": {"labels": {"app": "large", "version": "v1"}},
                "spec": {"serviceAccountName": "large", "containers": containers, "volumes": volumes}}
    return pod_from_template("large-v1", template, "large")


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(sys.argv[1]) as f:
        docs = [d for d in yaml.safe_load_all(f) if d and d.get("kind") == "Deployment"]
    for d in docs:
        name = d["metadata"]["name"]
        pod = pod_from_template(name, d["spec"]["template"], d["spec"]["template"]["spec"]["serviceAccountName"])
        write(f"review-{name}.json", review(pod, name))
    write("review-large.json", review(large_pod(), "large"))


def write(name, doc):
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
