#!/usr/bin/env bash
# Makes a private CA and a serving certificate for the webhook Service with openssl.
#
#   certs/gen-certs.sh [--service NAME] [--namespace NS] [--out DIR] [--days N]
#
# Writes DIR/tls.crt, DIR/tls.key and DIR/ca.crt (DIR defaults to certs/out, which git ignores)
# and prints the base64 caBundle on stdout, alone, so that
#   CA_BUNDLE="$(certs/gen-certs.sh --namespace appmesh-system)"
# works. Everything else goes to stderr. The CA key is thrown away: to renew, run the script
# again and roll out the new caBundle together with the new secret.
set -euo pipefail

service="${SERVICE:-appmesh-inject}"
namespace="${NAMESPACE:-appmesh-system}"
out="${OUT_DIR:-$(cd "$(dirname "$0")" && pwd)/out}"
days="${DAYS:-825}"

usage() { sed -n '2,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --service) service="${2:?--service needs a value}"; shift 2 ;;
    --namespace) namespace="${2:?--namespace needs a value}"; shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --days) days="${2:?--days needs a value}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gen-certs: unknown argument '$1'" >&2; usage; exit 2 ;;
  esac
done

command -v openssl >/dev/null || {
  echo "gen-certs: openssl is required (Debian/Ubuntu: apt-get install -y openssl)" >&2
  exit 1
}
dns_label='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
[[ "$service" =~ $dns_label && ${#service} -le 63 ]] || { echo "gen-certs: service '$service' is not a DNS label" >&2; exit 2; }
[[ "$namespace" =~ $dns_label && ${#namespace} -le 63 ]] || { echo "gen-certs: namespace '$namespace' is not a DNS label" >&2; exit 2; }
[[ "$days" =~ ^[1-9][0-9]*$ ]] || { echo "gen-certs: --days must be a positive integer, not '$days'" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077
mkdir -p "$out"

# CA: P-256 key, may only sign certificates.
openssl req -x509 -new -noenc -sha256 -days "$days" \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$work/ca.key" -out "$work/ca.crt" \
  -subj "/CN=${service}.${namespace} webhook CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }

# Serving certificate: the three names the API server may use for the Service.
cat >"$work/leaf.ext" <<EXT
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:${service}, DNS:${service}.${namespace}, DNS:${service}.${namespace}.svc
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EXT
openssl req -new -noenc -sha256 \
  -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout "$work/tls.key" -out "$work/tls.csr" \
  -subj "/CN=${service}.${namespace}.svc" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
openssl x509 -req -sha256 -days "$days" -in "$work/tls.csr" \
  -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
  -extfile "$work/leaf.ext" -out "$work/tls.crt" 2>"$work/log" || { cat "$work/log" >&2; exit 1; }
openssl verify -CAfile "$work/ca.crt" "$work/tls.crt" >/dev/null

install -m 0644 "$work/tls.crt" "$out/tls.crt"
install -m 0600 "$work/tls.key" "$out/tls.key"
install -m 0644 "$work/ca.crt" "$out/ca.crt"

cat >&2 <<MSG
gen-certs: wrote $out/tls.crt, $out/tls.key, $out/ca.crt for ${service}.${namespace}.svc (valid ${days} days)
Use them with the chart:
  kubectl -n ${namespace} create secret generic ${service}-tls --type=kubernetes.io/tls \\
    --from-file=tls.crt=$out/tls.crt --from-file=tls.key=$out/tls.key --from-file=ca.crt=$out/ca.crt
  helm upgrade --install ... --set tls.mode=secret --set tls.existingSecret=${service}-tls --set tls.caBundle=<the line below>
caBundle:
MSG
base64 -w0 <"$out/ca.crt"
echo
