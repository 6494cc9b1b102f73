#!/usr/bin/env bash
# Self-contained single-file binaries of the appmesh-inject command (no .NET needed where they run):
#   scripts/publish-binaries.sh [RID...]
#   artifacts/bin/<rid>/appmesh-inject  for linux-x64, linux-arm64 and osx-arm64 (or the RIDs given as arguments).
# The runtime packs come from NuGet through the ordinary restore. osx-arm64 binaries built on Linux are not
# code-signed: macOS needs `codesign --sign - appmesh-inject` (ad hoc) before it runs them.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  -*) echo "publish-binaries: unknown option '$1' (arguments are runtime identifiers such as linux-x64; see --help)" >&2; exit 2 ;;
esac
rids=("$@")
[[ ${#rids[@]} -gt 0 ]] || rids=(linux-x64 linux-arm64 osx-arm64)

for rid in "${rids[@]}"; do
  out="artifacts/bin/$rid"
  rm -rf "$out"
  dotnet publish src/Injector.Cli -c Release -r "$rid" --self-contained true \
    -p:PublishSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true -p:EnableCompressionInSingleFile=true -p:DebugType=none \
    -p:PublishDocumentationFile=false -p:PublishReferencesDocumentationFiles=false \
    -o "$out" --nologo -v quiet
  echo "$out/appmesh-inject ($(du -h "$out/appmesh-inject" | cut -f1))"
done
