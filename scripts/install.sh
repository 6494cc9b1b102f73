#!/usr/bin/env bash
# Installs appmesh-inject with Helm, the way the App Mesh walkthrough installed its injector.
# Usage and the environment it reads: scripts/install.sh --help (also when piped: curl ... | bash -s -- --help).
set -euo pipefail

die() { echo "install: $*" >&2; exit 1; }

usage() {
  cat <<'USAGE'
Installs appmesh-inject with Helm, the way the App Mesh walkthrough installed its injector:

  export MESH_NAME=bookinfo AWS_REGION=us-west-2 IMAGE_REPOSITORY=<registry>/appmesh-inject-webhook
  curl -fsSL <raw URL of this file> | bash              # or: scripts/install.sh
  scripts/install.sh --dry-run                          # print the manifests, touch no cluster
  scripts/install.sh -- --set tls.mode=certManager      # extra arguments go to helm

Environment (defaults in brackets):
  MESH_NAME            App Mesh mesh name (required)
  MESH_REGION          AWS region of the mesh (required) [$AWS_REGION, else $AWS_DEFAULT_REGION]
  IMAGE_REPOSITORY     the webhook image you pushed [none: then pass --set image.repository=... to helm]
  INJECTOR_NAMESPACE   namespace of the injector [appmesh-system]
  RELEASE_NAME         Helm release name [appmesh-inject]
  CHART                chart path or reference [the repository's charts/appmesh-inject when
                       run from a checkout, else oci://ghcr.io/appmesh-inject/charts/appmesh-inject]
  CHART_VERSION        chart version for a remote CHART [latest]
  ROLLOUT_TIMEOUT      how long to wait for the rollout [180s]
USAGE
}

dry_run=false
helm_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dry-run) dry_run=true; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; helm_args=("$@"); break ;;
    *) die "unknown argument '$1' (see --help; helm arguments go after --)" ;;
  esac
done

mesh="${MESH_NAME:-}"
[[ -n "$mesh" ]] || die "MESH_NAME is required: export MESH_NAME=<your App Mesh mesh name> and run again"
[[ "$mesh" =~ ^[A-Za-z0-9_-]{1,255}$ ]] || die "MESH_NAME '$mesh' is not a valid App Mesh name (1-255 letters, digits, '-' or '_')"
# The region is never guessed: Envoy in the wrong region finds no mesh.
region="${MESH_REGION:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}"
[[ -n "$region" ]] || die "the mesh's AWS region is required: export MESH_REGION=<region> (or AWS_REGION), e.g. us-west-2, and run again"
namespace="${INJECTOR_NAMESPACE:-appmesh-system}"
release="${RELEASE_NAME:-appmesh-inject}"
timeout="${ROLLOUT_TIMEOUT:-180s}"

# Tools: helm renders and installs; kubectl waits for the rollout (not needed for --dry-run).
need=(helm)
$dry_run || need+=(kubectl)
for tool in "${need[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' is required but was not found on PATH; install it (https://helm.sh/docs/intro/install/, https://kubernetes.io/docs/tasks/tools/) and run again"
done

script_dir=""
if [[ -n "${BASH_SOURCE[0]:-}" && -f "${BASH_SOURCE[0]}" ]]; then
  case "${BASH_SOURCE[0]}" in
    */*) script_dir="$(cd "${BASH_SOURCE[0]%/*}" && pwd)" ;;
    *) script_dir="$PWD" ;;
  esac
fi
if [[ -z "${CHART:-}" ]]; then
  if [[ -n "$script_dir" && -f "$script_dir/../charts/appmesh-inject/Chart.yaml" ]]; then
    CHART="$script_dir/../charts/appmesh-inject"
  else
    CHART="oci://ghcr.io/appmesh-inject/charts/appmesh-inject"
  fi
fi
version_args=()
[[ -n "${CHART_VERSION:-}" ]] && version_args=(--version "$CHART_VERSION")
# Arrays that may be empty expand as ${a[@]+"${a[@]}"}: bash before 4.4 (macOS's /bin/bash is 3.2) calls an
# empty "${a[@]}" unbound under set -u.

values=(--namespace "$namespace" --set-string "mesh.name=$mesh" --set-string "region=$region")
[[ -n "${IMAGE_REPOSITORY:-}" ]] && values+=(--set-string "image.repository=$IMAGE_REPOSITORY")

if $dry_run; then
  echo "install: dry run: manifests for release '$release' in namespace '$namespace' (mesh '$mesh', region '$region'); no cluster is contacted" >&2
  exec helm template "$release" "$CHART" ${version_args[@]+"${version_args[@]}"} "${values[@]}" ${helm_args[@]+"${helm_args[@]}"}
fi

echo "install: installing '$release' into namespace '$namespace' (mesh '$mesh', region '$region') from $CHART" >&2
helm upgrade --install "$release" "$CHART" ${version_args[@]+"${version_args[@]}"} "${values[@]}" \
  --create-namespace ${helm_args[@]+"${helm_args[@]}"}

# Same naming rule as the chart's fullname helper.
if [[ "$release" == *appmesh-inject* ]]; then deployment="$release"; else deployment="$release-appmesh-inject"; fi
deployment="${deployment:0:63}"; deployment="${deployment%-}"
kubectl --namespace "$namespace" rollout status "deployment/$deployment" --timeout "$timeout"

cat >&2 <<MSG
install: appmesh-inject is running in '$namespace'.
Label each namespace whose pods should join mesh '$mesh':
  kubectl label namespace <namespace> appmesh.k8s.aws/sidecarInjectorWebhook=enabled
Then recreate its pods (kubectl -n <namespace> rollout restart deployment); new pods get Envoy.
MSG
