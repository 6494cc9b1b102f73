-- wrk script for bench/load.sh: POSTs AdmissionReview bodies in rotation and prints one
-- machine-readable RESULT line. BODIES is a comma-separated list of JSON files.
local bodies = {}
local next_body = 1

function init(args)
  for path in string.gmatch(os.getenv("BODIES") or "", "[^,]+") do
    local f = assert(io.open(path, "rb"))
    bodies[#bodies + 1] = f:read("*a")
    f:close()
  end
  assert(#bodies > 0, "BODIES names no file")
end

function request()
  local body = bodies[next_body]
  next_body = next_body % #bodies + 1
  return wrk.format("POST", wrk.path, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50=%d p90=%d p99=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
