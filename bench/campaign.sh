#!/usr/bin/env bash
# Long fuzzing campaigns over HTTPS (issue 13, "must show"): the Release webhook, started with each setting
# below in turn, gets fuzzed reviews (tests/Injector.TestSupport/ReviewFuzzer.cs, as in the suite's bounded
# HttpFuzzTests) over HTTP/1.1 and over HTTP/2 from bench/Campaign; bench/campaign-check.py applies every
# patch with python3-jsonpatch and checks each answer (see its header). Prints one line per run and a table.
#
#   bench/campaign.sh                     # 25,000 reviews per setting and protocol: 100,000 in all
#   bench/campaign.sh --reviews 1000      # a short one
#   bench/campaign.sh --out DIR --seed N --port P
#
# Loopback only; every run is bounded by its review count and a timeout. Needs python3-jsonpatch
# (/usr/bin/python3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REVIEWS=25000 SEED=13 PORT=19543 OUT="$ROOT/artifacts/campaign"
while (( $# )); do
  case "$1" in
    --reviews) REVIEWS=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
/usr/bin/python3 -c 'import jsonpatch' 2>/dev/null || { echo "python3-jsonpatch is needed (apt-get install python3-jsonpatch)" >&2; exit 1; }
mkdir -p "$OUT"
dotnet publish "$ROOT/src/Injector.Webhook" -c Release -o "$OUT/webhook" --nologo -v quiet >"$OUT/publish.log"
dotnet publish "$ROOT/bench/Campaign" -c Release -o "$OUT/campaign" --nologo -v quiet >>"$OUT/publish.log"

declare -A SETTINGS=(
  [default]=""
  [xray-native-ecr]="--enable-xray-tracing --sidecar-mode native --enable-ecr-secret"
)
PID=""
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

status=0 run=0
: >"$OUT/results.jsonl"
for name in default xray-native-ecr; do
  # shellcheck disable=SC2086
  "$OUT/webhook/appmesh-inject-webhook" --mesh-name demo --region us-west-2 --port "$PORT" ${SETTINGS[$name]} >"$OUT/webhook-$name.log" 2>&1 &
  PID=$!
  for _ in $(seq 300); do
    curl -sk -o /dev/null --max-time 1 "https://127.0.0.1:$PORT/readyz" && break
    sleep 0.1
  done
  for protocol in http1 http2; do
    run=$((run + 1))  # each run its own reviews
    started=$(date +%s)
    set +e
    timeout 3600 "$OUT/campaign/Campaign" "https://127.0.0.1:$PORT/mutate" "$REVIEWS" "$((SEED * 10 + run))" "$protocol" 16 |
      /usr/bin/python3 "$ROOT/bench/campaign-check.py" --examples "$OUT/examples-$name-$protocol.json" >"$OUT/$name-$protocol.json"
    rc=$?
    set -e
    (( rc == 0 )) || status=1
    line=$(cat "$OUT/$name-$protocol.json")
    echo "{\"setting\":\"$name\",\"protocol\":\"$protocol\",\"seconds\":$(( $(date +%s) - started )),\"result\":$line}" | tee -a "$OUT/results.jsonl"
  done
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
done

/usr/bin/python3 - "$OUT/results.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("| setting | protocol | reviews | answers | problems | notes | s |")
print("|---|---|---:|---|---|---|---:|")
for r in rows:
    res = r["result"]
    answers = ", ".join(f"{v} {k}" for k, v in sorted(res["answers"].items()))
    problems = ", ".join(f"{v} {k}" for k, v in sorted(res["problems"].items())) or "none"
    notes = ", ".join(f"{v} {k}" for k, v in sorted(res.get("notes", {}).items())) or "-"
    print(f"| {r['setting']} | {r['protocol']} | {res['reviews']} | {answers} | {problems} | {notes} | {r['seconds']} |")
print(f"total: {sum(r['result']['reviews'] for r in rows)} reviews")
PY
exit $status
