# Shell functions shared by bench/load.sh and bench/h2-starts.sh (sourced, not run).

# Installs with apt-get the Debian packages of the commands given that are missing (h2load is in nghttp2-client).
need_tools() { # command...
  local tool missing=()
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("${tool/h2load/nghttp2-client}"); done
  if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing ${missing[*]}" >&2
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

# Makes a throw-away P-256 certificate for localhost and 127.0.0.1 in a new temp directory, CERTS (tls.crt,
# tls.key), never written into the repository; on exit, the server still running (SERVER_PID) is stopped and
# CERTS removed.
SERVER_PID=""
make_certs() {
  CERTS=$(mktemp -d /tmp/appmesh-inject-certs.XXXXXX)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$CERTS/tls.key" -out "$CERTS/tls.crt" 2>/dev/null
  trap bench_cleanup EXIT
}

bench_cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null || true
  rm -rf "$CERTS"
}

# Stops SERVER_PID: SIGTERM, up to 5 s for it to exit, then SIGKILL.
stop_server() {
  local i
  kill "$SERVER_PID" 2>/dev/null || true
  for i in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.05; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; } # utime + stime of a process, in clock ticks

# Microseconds of CPU per request, to a tenth, from two cpu_ticks readings and the requests answered between them
# (whole microseconds would move a ratio of ~35 µs figures by up to 3%).
us_per_request() { awk -v a="$1" -v b="$2" -v n="$3" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (b - a) / t * 1e6 / n }'; }

# How the image publishes the webhook (Dockerfile, for the machine's own architecture here): framework-dependent,
# with ReadyToRun code. The scripts publish both servers this way, so that start-up compares like with like.
IMAGE_PUBLISH_FLAGS=(--use-current-runtime --self-contained false -p:PublishReadyToRun=true)
