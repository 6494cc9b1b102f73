#!/usr/bin/env bash
# Streaming benchmark of the appmesh-inject command (issue 12, item 6): documents per second and peak RSS
# for 5 MB and 50 MB inputs of Deployments (the 50 MB file holds about 75,000).
#
#   bench/cli-stream.sh                 3 runs of each case, medians; the table goes to standard output
#   options: --runs N (3) --sizes "5 50" (MB) --out DIR (a temp dir, kept) --skip-build
#
# Cases, each on the same file in the same session: `inject -o yaml` (every Deployment injected and written
# in place), `inject -o diff`, and the baseline `uninject` over the same, uninjected input (the same reader
# and writer with nothing to change: what reading and writing YAML costs by itself). Peak RSS is
# /usr/bin/time -v's "Maximum resident set size"; CPU is user + system time (what the run cost, less dependent
# on what else the machine runs than the wall time). The machine may be shared: the load average is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=3 SIZES="5 50" OUT="" BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --sizes) SIZES=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "cli-stream.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $RUNS =~ ^[1-9]$ ]] || { echo "cli-stream.sh: --runs is 1 to 9" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "cli-stream.sh: needs /usr/bin/time (apt-get install -y time)" >&2; exit 2; }
OUT=${OUT:-$(mktemp -d)}
mkdir -p "$OUT"

CLI="$ROOT/src/Injector.Cli/bin/Release/net10.0/appmesh-inject.dll"
if [[ $BUILD == 1 ]]; then dotnet build src/Injector.Cli -c Release --nologo -v quiet >/dev/null; fi

# A Deployment of ~670 bytes, numbered, as teams write them (two containers' worth of fields, labels, ports).
make_input() { # $1 = size in MB, $2 = file
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
size, path = int(sys.argv[1]) * 1024 * 1024, sys.argv[2]
template = """---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc-{i}
  namespace: team-{t}
  labels:
    app: svc-{i}
    team: team-{t}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: svc-{i}
  template:
    metadata:
      labels:
        app: svc-{i}
        version: v1
    spec:
      containers:
      - name: app
        image: registry.example.com/team-{t}/svc-{i}:1.{i}
        ports:
        - containerPort: 8080
          name: http
        resources:
          requests:
            cpu: 100m
            memory: 128Mi
        readinessProbe:
          httpGet:
            path: /healthz
            port: http
"""
written = count = 0
with open(path, "w") as f:
    while written < size:
        text = template.format(i=count, t=count % 20)
        f.write(text)
        written += len(text)
        count += 1
print(count)
PY
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Runs one case RUNS times; prints "elapsed_median_s rss_median_mb cpu_median_s" (CPU: user + system).
measure() { # $1 = label, rest = command
  local label=$1; shift
  local times=() rss=() cpu=()
  for ((r = 1; r <= RUNS; r++)); do
    /usr/bin/time -v -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || { echo "cli-stream.sh: $label failed:" >&2; tail -5 "$OUT/stderr.txt" >&2; exit 1; }
    times+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$OUT/time.txt")")
    rss+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$OUT/time.txt")")
    cpu+=("$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$OUT/time.txt")")
  done
  echo "$(printf '%s\n' "${times[@]}" | median) $(printf '%s\n' "${rss[@]}" | median) $(printf '%s\n' "${cpu[@]}" | median)"
}

echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $RUNS runs per case, medians"
printf '| input | documents | case | seconds | documents/s | CPU s | documents per CPU s | peak RSS MB | vs baseline (time, RSS) |\n|---|---:|---|---:|---:|---:|---:|---:|---|\n'
for mb in $SIZES; do
  file="$OUT/deployments-${mb}mb.yaml"
  docs=$(make_input "$mb" "$file")
  read -r base_s base_rss base_cpu < <(measure "uninject $mb MB" dotnet "$CLI" uninject -q -f "$file")
  row() { awk -v mb="$mb" -v docs="$docs" -v name="$1" -v s="$2" -v rss="$3" -v cpu="$4" -v bs="$base_s" -v brss="$base_rss" \
    'BEGIN { printf "| %d MB | %d | %s | %.1f | %.0f | %.1f | %.0f | %d | %.2f, %.2f |\n", mb, docs, name, s, docs / s, cpu, docs / cpu, rss, s / bs, rss / brss }'; }
  row "uninject (baseline: read and write only)" "$base_s" "$base_rss" "$base_cpu"
  # The namespaces' labels are not known offline: every Deployment is injected, as the webhook would inject it.
  read -r s rss cpu < <(measure "inject $mb MB" dotnet "$CLI" inject -q --mesh-name bench --region us-west-2 --offline -f "$file")
  row "inject -o yaml" "$s" "$rss" "$cpu"
  read -r s rss cpu < <(measure "inject -o diff $mb MB" dotnet "$CLI" inject -q -o diff --mesh-name bench --region us-west-2 --offline -f "$file")
  row "inject -o diff" "$s" "$rss" "$cpu"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); inputs kept in $OUT"
