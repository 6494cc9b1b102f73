#!/usr/bin/env bash
# HTTP/2 CPU per review over many process starts: the baseline and the webhook (Release) started in turn, each
# driven only over HTTP/2 as the API server calls a webhook (h2load, 2 connections x 32 streams, the productpage
# review) for a warm-up and then several windows, with the server's CPU per review measured in each window.
# The webhook's cost is drawn per process start (docs/performance.md, "Eighth pass" and "Tenth pass"): this
# script measures that spread, and the median of the per-start ratios, where load.sh draws three starts.
#
#   bench/h2-starts.sh                   5 starts of each server, alternating, 4 windows of 8 s after 3 s of warm-up
#   options: --starts N (5) --windows N (4) --duration SECONDS per window (8) --port N (19443) --out DIR (a temp dir)
#            --skip-build (reuse the binaries published into --out DIR)
#            --env NAME=VALUE (repeatable: set for the webhook only, to try a runtime setting against the default)
#
# The ratio of a start pair is taken in the last window (JIT compilation of the webhook goes on for ~15 s under
# load; the first window shows it). Traffic goes to 127.0.0.1 only; every loop is bounded. Needs h2load
# (nghttp2-client), openssl and curl (installed with apt-get when missing) and the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

STARTS=5 WINDOWS=4 DURATION=8 OUT="" BUILD=1 PORT=19443
WEBHOOK_ENV=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --starts) STARTS=$2; shift 2 ;;
    --windows) WINDOWS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    --env) [[ $2 =~ ^[A-Za-z_][A-Za-z0-9_]*=.*$ ]] || { echo "h2-starts.sh: --env takes NAME=VALUE, not $2" >&2; exit 2; }
      WEBHOOK_ENV+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "h2-starts.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $STARTS =~ ^[1-9][0-9]?$ && $WINDOWS =~ ^[1-9]$ && $DURATION =~ ^[1-9][0-9]{0,2}$ && $PORT =~ ^[1-9][0-9]{3,4}$ ]] ||
  { echo "h2-starts.sh: --starts 1-99, --windows 1-9, --duration 1-999 s, --port 1000-65535" >&2; exit 2; }

source "$ROOT/bench/lib.sh"
need_tools h2load openssl curl

OUT=${OUT:-$(mktemp -d /tmp/appmesh-inject-h2.XXXXXX)}
mkdir -p "$OUT"
RESULTS=$OUT/starts.tsv
: >"$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
BODY=$ROOT/bench/data/review-productpage-v1.json

if [[ $BUILD == 1 ]]; then
  for pair in baseline:bench/Baseline/Baseline.csproj webhook:src/Injector.Webhook/Injector.Webhook.csproj; do
    echo "publishing ${pair%%:*}" >&2
    dotnet publish "${pair#*:}" -c Release "${IMAGE_PUBLISH_FLAGS[@]}" -o "$OUT/${pair%%:*}" --nologo -v quiet >"$OUT/publish-${pair%%:*}.log" 2>&1 ||
      { tail -30 "$OUT/publish-${pair%%:*}.log" >&2; exit 1; }
  done
  # Build servers left running take CPU for a while after a build (see load.sh).
  dotnet build-server shutdown >/dev/null 2>&1 || true
fi

# A throw-away certificate, never written into the repository.
make_certs

start_server() { # server
  local server=$1 code tries=0
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is already in use" >&2; exit 1; fi
  case "$server" in
    baseline) "$OUT/baseline/appmesh-inject-baseline" --port "$PORT" --cert "$CERTS/tls.crt" --key "$CERTS/tls.key" \
      >"$OUT/$server.log" 2>&1 & ;;
    webhook) env ${WEBHOOK_ENV[@]+"${WEBHOOK_ENV[@]}"} "$OUT/webhook/appmesh-inject-webhook" --mesh-name bench --region us-west-2 \
      --port "$PORT" --tls-cert-file "$CERTS/tls.crt" --tls-key-file "$CERTS/tls.key" >"$OUT/$server.log" 2>&1 & ;;
  esac
  SERVER_PID=$!
  while (( tries < 600 )); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
      --data-binary "@$BODY" "https://127.0.0.1:$PORT/mutate" 2>/dev/null || true)
    [[ $code == 200 ]] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$server exited; log:" >&2; tail -20 "$OUT/$server.log" >&2; exit 1; }
    tries=$((tries + 1))
    sleep 0.05
  done
  echo "$server did not answer within 30 s" >&2; exit 1
}

# Prints the number of answered reviews of one h2load run (2 connections x 32 streams); a run in which any review
# failed or was answered other than 200 ends the script (its CPU per review would mean nothing).
drive_h2() { # seconds
  local out finished ok
  out=$(timeout $(($1 + 30)) h2load -c2 -m32 -t2 -D"$1" -d "$BODY" -H 'content-type: application/json' \
    "https://127.0.0.1:$PORT/mutate?timeout=10s" 2>&1) || true
  finished=$(sed -n 's/^requests: [0-9]* total, [0-9]* started, \([0-9]*\) done, \1 succeeded, 0 failed, 0 errored, 0 timeout.*/\1/p' <<<"$out")
  ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx, 0 3xx, 0 4xx, 0 5xx.*/\1/p' <<<"$out")
  [[ -n $finished && $finished -gt 0 && $ok == "$finished" ]] || { echo "h2load: not every review was answered 200:" >&2; echo "$out" >&2; exit 1; }
  echo "$ok"
}

echo "appmesh-inject HTTP/2 starts: $STARTS starts of each server, $WINDOWS windows of ${DURATION}s after 3s of warm-up, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
[[ ${#WEBHOOK_ENV[@]} -gt 0 ]] && echo "webhook environment: ${WEBHOOK_ENV[*]}"
for start in $(seq "$STARTS"); do
  for server in baseline webhook; do
    start_server "$server"
    drive_h2 3 >/dev/null
    line="start $start $server: us/review"
    for window in $(seq "$WINDOWS"); do
      before=$(cpu_ticks "$SERVER_PID")
      answered=$(drive_h2 "$DURATION")
      after=$(cpu_ticks "$SERVER_PID")
      us=$(us_per_request "$before" "$after" "$answered")
      printf '%s\t%s\t%s\t%s\t%s\n' "$server" "$start" "$window" "$us" "$answered" >>"$RESULTS"
      line+=" $us"
    done
    echo "$line"
    stop_server
  done
done

# The last window of each start; per start pair the webhook's over the baseline's; medians.
awk -F'\t' -v w="$WINDOWS" '
  $3 == w { v[$1, $2] = $4; if ($2 > n) n = $2 }
  function median(a, k,   i, j, t) {
    for (i = 2; i <= k; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    for (i = 1; i <= n; i++) { b[i] = v["baseline", i]; h[i] = v["webhook", i]; r[i] = h[i] / b[i]; line = line sprintf(" %.2f", r[i]) }
    printf "last window, per start pair (webhook / baseline):%s\n", line
    lo = 1e9; hi = 0; within = 0
    for (i = 1; i <= n; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i]; if (r[i] <= 1.6) within++ }
    printf "median us/review: baseline %.1f, webhook %.1f; median ratio %.2f (range %.2f-%.2f; %d of %d pairs <= 1.6)\n",
      median(b, n), median(h, n), median(r, n), lo, hi, within, n
  }' "$RESULTS"
echo "raw figures: $RESULTS"
