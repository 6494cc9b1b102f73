#!/usr/bin/env bash
# Load test: the real webhook (Release) against a bare Kestrel HTTPS baseline, measured in the same run.
#
#   bench/load.sh                 3 runs of each server, alternating: start-up, HTTP/1.1 (wrk) at 1, 8 and 64
#                                 connections, HTTP/2 (h2load) on 2 connections x 32 streams, peak RSS
#   bench/load.sh --aot           also both servers published with Native AOT
#   bench/load.sh --soak 5        then 5 minutes of steady load on the webhook, RSS sampled every slice
#   options: --runs N (3) --duration SECONDS per wrk and h2load run (10) --port N (18443) --out DIR (a temp dir)
#            --skip-build (reuse the binaries published into --out DIR)
#
# Traffic goes to 127.0.0.1 only. Every loop is bounded in count and time. Needs wrk, h2load (nghttp2-client),
# openssl and curl (installed with apt-get when missing) and the .NET SDK. Ratios are medians of the per-run
# ratios: each run measures both servers one after the other, so a ratio compares like with like.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=3 DURATION=10 SOAK_MINUTES=0 AOT=0 OUT="" BUILD=1 PORT=18443
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --soak) SOAK_MINUTES=$2; shift 2 ;;
    --aot) AOT=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "load.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]?$ && $DURATION =~ ^[1-9][0-9]{0,2}$ && $SOAK_MINUTES =~ ^[0-9]{1,2}$ && $PORT =~ ^[1-9][0-9]{3,4}$ ]] ||
  { echo "load.sh: --runs 1-99, --duration 1-999 s, --soak 0-99 min, --port 1000-65535" >&2; exit 2; }

source "$ROOT/bench/lib.sh"
need_tools wrk h2load openssl curl

OUT=${OUT:-$(mktemp -d /tmp/appmesh-inject-load.XXXXXX)}
mkdir -p "$OUT"
RESULTS=$OUT/results.tsv
: >"$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

DATA=$ROOT/bench/data
BOOKINFO=$(ls "$DATA"/review-{details,ratings,reviews,productpage}-*.json | paste -sd, -)
LARGE=$DATA/review-large.json
PROBE=$DATA/review-productpage-v1.json

# --- build ---------------------------------------------------------------------------------------------
SERVERS=(baseline webhook)
[[ $AOT == 1 ]] && SERVERS+=(baseline-aot webhook-aot)
publish() { # name project extra-args...
  local name=$1 project=$2; shift 2
  echo "publishing $name" >&2
  dotnet publish "$project" -c Release -o "$OUT/$name" --nologo -v quiet "$@" >"$OUT/publish-$name.log" 2>&1 ||
    { tail -30 "$OUT/publish-$name.log" >&2; exit 1; }
}
if [[ $BUILD == 1 ]]; then
  publish baseline bench/Baseline/Baseline.csproj "${IMAGE_PUBLISH_FLAGS[@]}"
  publish webhook src/Injector.Webhook/Injector.Webhook.csproj "${IMAGE_PUBLISH_FLAGS[@]}"
  if [[ $AOT == 1 ]]; then
    publish baseline-aot bench/Baseline/Baseline.csproj -p:PublishAot=true
    # KubernetesClient and YamlDotNet are not trim-safe: their warnings would fail the build. The admission
    # path measured here does not use them; docs/performance.md says what that means for the image.
    publish webhook-aot src/Injector.Webhook/Injector.Webhook.csproj -p:PublishAot=true -p:TreatWarningsAsErrors=false
  fi
  # The build servers (MSBuild nodes, the compiler server) stay up after a build and keep using the CPU for a
  # while: measured, a server started right after publishing spent up to 40% more CPU per review.
  dotnet build-server shutdown >/dev/null 2>&1 || true
fi

# --- a throw-away certificate, never written into the repository -----------------------------------------
make_certs

command_for() { # server -> command line
  case "$1" in
    baseline*) echo "$OUT/$1/appmesh-inject-baseline --port $PORT --cert $CERTS/tls.crt --key $CERTS/tls.key" ;;
    webhook*) echo "$OUT/$1/appmesh-inject-webhook --mesh-name bench --region us-west-2 --port $PORT --tls-cert-file $CERTS/tls.crt --tls-key-file $CERTS/tls.key" ;;
  esac
}

# Starts a server; STARTUP_MS is the time from exec to its first 200 answer to a review.
STARTUP_MS=0
start_server() {
  local server=$1 t0 code tries=0
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is already in use" >&2; exit 1; fi
  t0=$(date +%s%N)
  # shellcheck disable=SC2046
  $(command_for "$server") >"$OUT/$server.log" 2>&1 &
  SERVER_PID=$!
  while (( tries < 3000 )); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 -H 'Content-Type: application/json' \
      --data-binary "@$PROBE" "https://127.0.0.1:$PORT/mutate" 2>/dev/null || true)
    if [[ $code == 200 ]]; then STARTUP_MS=$(( ($(date +%s%N) - t0) / 1000000 )); return 0; fi
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "$server exited; log:" >&2; tail -20 "$OUT/$server.log" >&2; exit 1; }
    (( $(date +%s%N) - t0 > 30000000000 )) && break
    tries=$((tries + 1))
    sleep 0.005
  done
  echo "$server did not answer within 30 s" >&2; exit 1
}

# Runs wrk and prints its RESULT line.
drive() { # connections seconds bodies
  local c=$1 d=$2 bodies=$3 threads=2
  (( c < 2 )) && threads=1
  BODIES=$bodies timeout $((d + 30)) wrk -t"$threads" -c"$c" -d"${d}s" --timeout 5s -s "$ROOT/bench/wrk/post.lua" \
    "https://127.0.0.1:$PORT/mutate" | grep '^RESULT'
}

# Runs h2load as the API server calls a webhook (few connections, many concurrent streams on each) and prints
# a RESULT line like drive's; percentiles come from h2load's per-request log. One body (h2load sends one).
drive_h2() { # connections streams seconds body
  local c=$1 m=$2 d=$3 body=$4 log out
  log=$(mktemp "$OUT/h2load-log.XXXXXX")
  out=$(timeout $((d + 30)) h2load -c"$c" -m"$m" -t"$c" -D"$d" --log-file="$log" -d "$body" \
    -H 'content-type: application/json' "https://127.0.0.1:$PORT/mutate" 2>&1) || true
  local requests rps ok errored timedout failed
  rps=$(sed -n 's/^finished in [0-9.]*s, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  read -r requests failed errored timedout < <(sed -n 's/^requests: \([0-9]*\) total, [0-9]* started, [0-9]* done, [0-9]* succeeded, \([0-9]*\) failed, \([0-9]*\) errored, \([0-9]*\) timeout.*/\1 \2 \3 \4/p' <<<"$out")
  ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' <<<"$out")
  [[ -n $rps && -n $requests && -n $ok ]] || { echo "h2load failed:" >&2; echo "$out" >&2; exit 1; }
  # The log holds one line per request: start time, status, duration in microseconds.
  awk -F'\t' '{ print $3 }' "$log" | sort -n | awk -v r="$requests" -v rps="$rps" -v f="$failed" -v e="$errored" -v t="$timedout" -v ok="$ok" '
    { v[NR] = $1 }
    function pct(p) { return NR ? v[int((NR - 1) * p / 100) + 1] : 0 }
    END { printf "RESULT requests=%d rps=%s p50=%d p90=%d p99=%d connect=0 read=%d write=0 status=%d timeout=%d\n",
      NR, rps, pct(50), pct(90), pct(99), f + e, NR - ok, t }'
  rm -f "$log"
}

field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" <<<"$2"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"; }
kb_of() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

measure() { # server run
  local server=$1 run=$2 ms line c errors=0
  start_server "$server"
  ms=$STARTUP_MS
  record "$server" "$run" startup_ms "$ms"
  # Warm-up, the same for both servers: tiered JIT with dynamic PGO needs several seconds of load before
  # the webhook's larger hot path runs optimised code (measured: c1 p50 0.67 ms in the first 4 s, 0.24 ms after 8 s).
  drive 8 12 "$BOOKINFO,$LARGE" >/dev/null
  for c in 1 8 64; do
    ticks=$(cpu_ticks "$SERVER_PID")
    line=$(drive "$c" "$DURATION" "$BOOKINFO")
    # Server CPU per request: steadier than req/s when other work shares the machine.
    record "$server" "$run" "c${c}_cpu_us" "$(us_per_request "$ticks" "$(cpu_ticks "$SERVER_PID")" "$(field requests "$line")")"
    record "$server" "$run" "c${c}_rps" "$(field rps "$line")"
    for p in p50 p90 p99; do record "$server" "$run" "c${c}_${p}_us" "$(field "$p" "$line")"; done
    errors=$((errors + $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field status "$line") + $(field timeout "$line")))
  done
  line=$(drive 64 "$DURATION" "$LARGE")
  record "$server" "$run" large_c64_rps "$(field rps "$line")"
  record "$server" "$run" large_c64_p99_us "$(field p99 "$line")"
  errors=$((errors + $(field status "$line") + $(field timeout "$line")))
  # HTTP/2 as the API server speaks it: 2 connections x 32 concurrent streams, the productpage review.
  drive_h2 2 32 3 "$PROBE" >/dev/null  # warm-up of the HTTP/2 code
  ticks=$(cpu_ticks "$SERVER_PID")
  line=$(drive_h2 2 32 "$DURATION" "$PROBE")
  record "$server" "$run" h2_cpu_us "$(us_per_request "$ticks" "$(cpu_ticks "$SERVER_PID")" "$(field requests "$line")")"
  record "$server" "$run" h2_rps "$(field rps "$line")"
  for p in p50 p90 p99; do record "$server" "$run" "h2_${p}_us" "$(field "$p" "$line")"; done
  errors=$((errors + $(field read "$line") + $(field status "$line") + $(field timeout "$line")))
  record "$server" "$run" peak_rss_mb "$(( $(kb_of "$SERVER_PID" VmHWM) / 1024 ))"
  record "$server" "$run" errors "$errors"
  stop_server
  echo "run $run $server: start-up ${ms} ms, HTTP/1.1 c64 $(grep -P "^$server\t$run\tc64_rps" "$RESULTS" | cut -f4) req/s, HTTP/2 2x32 $(grep -P "^$server\t$run\th2_rps" "$RESULTS" | cut -f4) req/s, errors $errors" >&2
}

for run in $(seq "$RUNS"); do
  for server in "${SERVERS[@]}"; do measure "$server" "$run"; done
done

# --- table -------------------------------------------------------------------------------------------------
table() { # subject baseline
  awk -F'\t' -v s="$1" -v b="$2" '
    function median(list,   n, i, j, t, v) {
      n = split(list, v, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
      return n == 0 ? "" : (n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2)
    }
    { vals[$1 SUBSEP $3] = vals[$1 SUBSEP $3] " " $4; at[$1 SUBSEP $2 SUBSEP $3] = $4; runs[$2] = 1 }
    # The ratio is the median of the per-run ratios (each run measures both servers back to back).
    function ratio(metric,   r, list, x, y) {
      list = ""
      for (r in runs) {
        x = at[b SUBSEP r SUBSEP metric]; y = at[s SUBSEP r SUBSEP metric]
        if (x != "" && y != "" && x + 0 != 0) list = list " " y / x
      }
      return median(list)
    }
    function row(label, metric, scale, fmt, target, higher_is_better,   x, y, r, ok) {
      x = median(vals[b SUBSEP metric]); y = median(vals[s SUBSEP metric])
      if (x == "" || y == "") return
      r = ratio(metric)
      ok = ""
      if (target != "") ok = (higher_is_better ? r >= target : r <= target) ? "yes" : "NO"
      printf "| %-32s | " fmt " | " fmt " | %5.2f | %-6s | %-3s |\n", label, x / scale, y / scale, r,
        target == "" ? "" : (higher_is_better ? ">= " : "<= ") target, ok
    }
    END {
      printf "| %-32s | %10s | %10s | %5s | %-6s | %-3s |\n", "medians of runs", b, s, "ratio", "target", "met"
      print "|----------------------------------|-----------:|-----------:|------:|--------|-----|"
      row("HTTP/1.1 req/s, 1 connection", "c1_rps", 1, "%10.0f", "", 1)
      row("HTTP/1.1 req/s, 8 connections", "c8_rps", 1, "%10.0f", "", 1)
      row("HTTP/1.1 req/s, 64 connections", "c64_rps", 1, "%10.0f", 0.7, 1)
      row("HTTP/2 req/s, 2 conn. x 32", "h2_rps", 1, "%10.0f", 0.7, 1)
      row("HTTP/1.1 p50 ms, 1 connection", "c1_p50_us", 1000, "%10.3f", "", 0)
      row("HTTP/1.1 p99 ms, 1 connection", "c1_p99_us", 1000, "%10.3f", "", 0)
      row("HTTP/1.1 p50 ms, 8 connections", "c8_p50_us", 1000, "%10.3f", "", 0)
      row("HTTP/1.1 p90 ms, 8 connections", "c8_p90_us", 1000, "%10.3f", "", 0)
      row("HTTP/1.1 p99 ms, 8 connections", "c8_p99_us", 1000, "%10.3f", 1.5, 0)
      row("HTTP/1.1 p50 ms, 64 connections", "c64_p50_us", 1000, "%10.3f", "", 0)
      row("HTTP/1.1 p99 ms, 64 connections", "c64_p99_us", 1000, "%10.3f", "", 0)
      row("HTTP/2 p50 ms, 2 conn. x 32", "h2_p50_us", 1000, "%10.3f", "", 0)
      row("HTTP/2 p99 ms, 2 conn. x 32", "h2_p99_us", 1000, "%10.3f", "", 0)
      row("CPU us/review, HTTP/1.1 8 conn.", "c8_cpu_us", 1, "%10.1f", 1.6, 0)
      row("CPU us/review, HTTP/1.1 64 conn.", "c64_cpu_us", 1, "%10.1f", 1.6, 0)
      row("CPU us/review, HTTP/2 2 x 32", "h2_cpu_us", 1, "%10.1f", 1.6, 0)
      row("large pod req/s, 64 conn.", "large_c64_rps", 1, "%10.0f", "", 1)
      row("large pod p99 ms, 64 conn.", "large_c64_p99_us", 1000, "%10.3f", "", 0)
      row("start-up to 1st review ms", "startup_ms", 1, "%10.0f", 1.5, 0)
      row("peak RSS MB", "peak_rss_mb", 1, "%10.0f", 1.3, 0)
      printf "| %-32s | %10s | %10s |       |        |     |\n", "errors (sum of runs)", sum(b), sum(s)
    }
    function sum(server,   n, i, v, t) { n = split(vals[server SUBSEP "errors"], v, " "); t = 0; for (i = 1; i <= n; i++) t += v[i]; return t }
  ' "$RESULTS"
}

echo
echo "appmesh-inject load test: $RUNS runs x ${DURATION}s per wrk run, $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "bodies: HTTP/1.1 the bookinfo pods (6 reviews, $(cat ${BOOKINFO//,/ } | wc -c) bytes in all) in rotation, large pod ($(wc -c <"$LARGE") bytes);"
echo "HTTP/2 the productpage review ($(wc -c <"$PROBE") bytes). Ratios: median of the per-run ratios."

echo
table webhook baseline
if [[ $AOT == 1 ]]; then
  echo; echo "Native AOT webhook against the Native AOT baseline:"; echo
  table webhook-aot baseline-aot
  echo; echo "Native AOT webhook against the JIT baseline:"; echo
  table webhook-aot baseline
fi

# --- soak --------------------------------------------------------------------------------------------------
if (( SOAK_MINUTES > 0 )); then
  echo; echo "soak: webhook, 16 connections, bookinfo mix, ${SOAK_MINUTES} min in 30 s slices"
  start_server webhook
  slices=$((SOAK_MINUTES * 2)) errors=0 first="" rss=0
  echo "| slice | req/s | p99 ms | VmRSS MB | errors |"
  echo "|------:|------:|-------:|---------:|-------:|"
  for i in $(seq "$slices"); do
    line=$(drive 16 30 "$BOOKINFO")
    e=$(( $(field connect "$line") + $(field read "$line") + $(field write "$line") + $(field status "$line") + $(field timeout "$line") ))
    errors=$((errors + e))
    rss=$(( $(kb_of "$SERVER_PID" VmRSS) / 1024 ))
    [[ $i == 2 ]] && first=$rss  # after the first slice the heap has reached its working size
    printf '| %5d | %5.0f | %6.3f | %8d | %6d |\n' "$i" "$(field rps "$line")" "$(awk -v u="$(field p99 "$line")" 'BEGIN{print u/1000}')" "$rss" "$e"
  done
  stop_server
  first=${first:-$rss}
  growth=$(awk -v a="$first" -v b="$rss" 'BEGIN { printf "%.1f", a ? (b - a) * 100 / a : 0 }')
  verdict=$([[ $errors == 0 ]] && awk -v g="$growth" 'BEGIN { exit !(g <= 10) }' && echo PASS || echo FAIL)
  echo "soak: RSS ${first} MB after slice 2, ${rss} MB at the end (${growth}%), ${errors} errors: $verdict"
  [[ $verdict == PASS ]] || exit 1
fi
echo; echo "raw figures: $RESULTS"
