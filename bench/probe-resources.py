#!/usr/bin/env python3
"""Resource probes (issue 13 B.1, B.2): the published webhook under the chart's limits, fed what a hostile or
broken client can send, must stay up with its peak RSS under the memory limit and answer every review.

The container limits are emulated, not enforced by a cgroup (this machine has no systemd scope to put the
process in): the memory limit through DOTNET_GCHeapHardLimit = 75% of it, the heap limit .NET derives from a
container's memory limit by itself, and the CPU limit through DOTNET_PROCESSOR_COUNT. The pass criterion is
then the kernel's: peak RSS (VmHWM) below the memory limit, so that the OOM killer would not have fired.

Each probe starts a fresh process on 127.0.0.1, sends its requests at once (threads, one TLS connection
each; HTTP/2 through h2load when installed), and records the answers by status, client errors, wall time,
server CPU per request and VmHWM. Every loop is bounded in count and time; only loopback is a target.

Usage: bench/probe-resources.py [--binary DIR] [--memory-mib 256] [--cpus 1] [--only NAME,...] [--out FILE]
  --binary DIR   a published webhook (default: publish src/Injector.Webhook into artifacts/probe)
"""
import argparse, json, os, re, shutil, socket, ssl, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "bench", "data", "review-productpage-v1.json")
MIB = 1024 * 1024


def chart_memory_limit_mib():
    """limits.memory of charts/appmesh-inject/values.yaml (resources), in MiB."""
    text = open(os.path.join(ROOT, "charts", "appmesh-inject", "values.yaml")).read()
    block = text[text.index("\nresources:"):]
    limits = block[block.index("limits:"):]
    m = re.search(r"memory:\s*(\d+)Mi", limits)
    return int(m.group(1))


def publish(out):
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "src", "Injector.Webhook"), "-c", "Release", "-o", out,
                    "--nologo", "-v", "quiet"], check=True, stdout=subprocess.DEVNULL)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def review_with_pod(pod_json, uid):
    """A review as the API server writes it (the sample's envelope) around a pod given as JSON text."""
    sample = json.load(open(SAMPLE))
    sample["request"]["uid"] = uid
    sample["request"]["object"] = "@@POD@@"
    return json.dumps(sample, separators=(",", ":")).replace('"@@POD@@"', pod_json).encode()


def sample_pod():
    return json.load(open(SAMPLE))["request"]["object"]


def max_size_review(cap, uid):
    """The sample pod with an annotation padded so that the whole review is exactly cap bytes."""
    pod = sample_pod()
    pod["metadata"].setdefault("annotations", {})["padding"] = ""
    base = len(review_with_pod(json.dumps(pod, separators=(",", ":")), uid))
    pod["metadata"]["annotations"]["padding"] = "x" * (cap - base)
    body = review_with_pod(json.dumps(pod, separators=(",", ":")), uid)
    assert len(body) == cap, (len(body), cap)
    return body


def dense_review(cap, uid, where):
    """Millions of tokens under the cap: "[]" in a field nobody reads, or in the lists the engine walks."""
    pod = sample_pod()
    if where == "unknown":
        pod["spec"]["x"] = "@@FILL@@"
        text = json.dumps(pod, separators=(",", ":"))
        unit, head, tail = "[],", '[', '[]]'
    elif where == "containers":
        first = json.dumps(pod["spec"]["containers"][0], separators=(",", ":"))
        text = json.dumps(pod, separators=(",", ":")).replace(
            '"containers":[' + first, '"containers":[' + first + ',"@@FILL@@"', 1)
        # Names differ, or the engine would stop at the first duplicate.
        size, items = len(review_with_pod(text.replace(',"@@FILL@@"', ""), uid)), []
        while size + len(',{"name":"c%d"}' % len(items)) <= cap:
            items.append(',{"name":"c%d"}' % len(items))
            size += len(items[-1])
        return review_with_pod(text.replace(',"@@FILL@@"', "".join(items)), uid)
    elif where == "env":
        pod["spec"]["containers"][0]["env"] = "@@FILL@@"
        text = json.dumps(pod, separators=(",", ":"))
        unit, head, tail = '{"name":"A"},', '[', '{"name":"A"}]'
    else:
        raise ValueError(where)
    base = len(review_with_pod(text.replace('"@@FILL@@"', head + tail), uid))
    return review_with_pod(text.replace('"@@FILL@@"', head + unit * ((cap - base) // len(unit)) + tail), uid)


def heap_percent(binary):
    """The share of a container's memory limit .NET lets the GC heap take: the published runtimeconfig's
    System.GC.HeapHardLimitPercent, else .NET's default, 75%."""
    path = os.path.join(binary, "appmesh-inject-webhook.runtimeconfig.json")
    options = json.load(open(path)).get("runtimeOptions", {}).get("configProperties", {}) if os.path.exists(path) else {}
    return int(options.get("System.GC.HeapHardLimitPercent", 75))


class Server:
    def __init__(self, binary, memory_mib, cpus, log, percent):
        self.port = free_port()
        self.peak = 0
        env = dict(os.environ)
        env["DOTNET_GCHeapHardLimit"] = hex(memory_mib * MIB * percent // 100)
        env["DOTNET_PROCESSOR_COUNT"] = str(cpus)
        exe = os.path.join(binary, "appmesh-inject-webhook")
        self.proc = subprocess.Popen([exe, "--mesh-name", "probe", "--region", "us-west-2", "--port", str(self.port)],
                                     stdout=log, stderr=log, env=env)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("the webhook exited at start-up")
            try:
                status, _ = post(self.port, json.dumps(json.load(open(SAMPLE))).encode(), timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("the webhook did not answer within 30 s")

    def status(self, key):
        """A /proc/PID/status figure in bytes; 0 once the process is gone (it crashed)."""
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) * 1024
        except FileNotFoundError:
            pass
        return 0

    def cpu_seconds(self):
        try:
            with open(f"/proc/{self.proc.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the webhook's in-memory self-signed certificate, on loopback
    return ctx


def post(port, body, timeout=30, query="", stall_after=None):
    """One POST over its own TLS connection; returns (status, text). stall_after: send that many body bytes,
    then nothing (the server must cut the request at the review's deadline)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    with tls_context().wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall((f"POST /mutate{query} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                   f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode())
        s.sendall(body if stall_after is None else body[:stall_after])
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head, _, rest = data.partition(b"\r\n\r\n")
                m = re.search(rb"content-length: *(\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
    head, _, rest = data.partition(b"\r\n\r\n")
    if re.search(rb"transfer-encoding: *chunked", head, re.I):
        body = b""
        while rest:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            body, rest = body + rest[:n], rest[n + 2:]
        rest = body
    return int(head.split()[1]), rest.decode(errors="replace")


def classify(status, text):
    if status != 200:
        return f"HTTP {status}"
    response = json.loads(text)["response"]
    if "could not process" in text:
        return "internal-error fallback"
    if response.get("patch"):
        return "200 patched"
    code = (response.get("status") or {}).get("code")
    return f"200 allowed" if response.get("allowed") else f"200 denied {code}"


def run_concurrent(server, bodies, query="?timeout=10s", stall_after=None):
    results, errors = {}, []
    lock = threading.Lock()

    def one(body):
        try:
            status, text = post(server.port, body, timeout=60, query=query, stall_after=stall_after)
            key = classify(status, text)
        except Exception as e:  # noqa: BLE001 -- every client failure is counted, by kind
            key = None
            with lock:
                errors.append(type(e).__name__)
        if key:
            with lock:
                results[key] = results.get(key, 0) + 1

    threads = [threading.Thread(target=one, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        server.peak = max(server.peak, server.status("VmHWM"))
        time.sleep(0.02)
    for t in threads:
        t.join()
    return results, errors


def run_h2load(server, body, count):
    if not shutil.which("h2load"):
        return None, ["h2load not installed"]
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        f.write(body)
        f.flush()
        # Two connections of 32 streams: the webhook allows 32 streams per connection, and the API server's
        # client, like h2load, opens another connection for more.
        out = subprocess.run(["h2load", "-n", str(count), "-c", "2", "-m", str(count // 2), "-d", f.name,
                              "-H", "content-type: application/json", "-T", "60",
                              f"https://127.0.0.1:{server.port}/mutate?timeout=10s"],
                             capture_output=True, text=True, timeout=120).stdout
    if os.environ.get("PROBE_DEBUG"):
        print(out, file=sys.stderr)
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    failed = re.search(r"requests: .* (\d+) failed, (\d+) errored, (\d+) timeout", out)
    results = {"HTTP 2xx": int(m.group(1)), "HTTP 4xx": int(m.group(3)), "HTTP 5xx": int(m.group(4))} if m else {}
    errors = [] if not failed or failed.group(1) == "0" else [f"{failed.group(1)} failed"]
    return {k: v for k, v in results.items() if v}, errors


PROBES = {
    # name: (description, how)
    "max-http1": "64 concurrent reviews of the maximum size (4 MiB), HTTP/1.1, 64 connections",
    "max-http2": "64 concurrent reviews of the maximum size, HTTP/2, 2 connections x 32 streams (h2load)",
    "dense-unknown": "64 concurrent bodies of ~1.4 million \"[]\" in a pod field the engine never reads",
    "dense-containers": "64 concurrent pods of ~300,000 tiny containers (the engine reads every one)",
    "dense-env": "64 concurrent pods whose container has ~300,000 env entries",
    "slow": "64 connections that send all but the last byte of a maximum-size review, then stall (timeout=10s)",
    "cpu-dense": "20 token-dense bodies one after the other: server CPU per body",
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary")
    ap.add_argument("--memory-mib", type=int, default=chart_memory_limit_mib())
    ap.add_argument("--cpus", type=int, default=1)
    ap.add_argument("--heap-percent", type=int, help="GC heap share of the memory limit (default: the build's, else 75)")
    ap.add_argument("--cap", type=int, default=4 * MIB, help="the body cap of the build under test")
    ap.add_argument("--only", default=",".join(PROBES))
    ap.add_argument("--out", default=os.path.join(ROOT, "artifacts", "probe", "probe-results.json"))
    args = ap.parse_args()

    binary = args.binary or publish(os.path.join(ROOT, "artifacts", "probe", "webhook"))
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    log = open(os.path.join(os.path.dirname(args.out), "webhook.log"), "ab")
    limit = args.memory_mib * MIB
    percent = args.heap_percent or heap_percent(binary)
    print(f"limits: memory {args.memory_mib} MiB (DOTNET_GCHeapHardLimit={hex(limit * percent // 100)}: {percent}%), "
          f"CPU {args.cpus} (DOTNET_PROCESSOR_COUNT); body cap under test {args.cap} bytes", flush=True)
    rows = []
    for name in args.only.split(","):
        server = Server(binary, args.memory_mib, args.cpus, log, percent)
        try:
            rows.append(probe(name, server, args, limit))
        finally:
            server.stop()
        print(json.dumps(rows[-1]), flush=True)
    json.dump(rows, open(args.out, "w"), indent=1)
    report(rows, args)


def probe(name, server, args, limit):
    """Runs one probe against a fresh server; returns its row."""
    t0, cpu0 = time.time(), server.cpu_seconds()
    uids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(64)]
    per_request = None
    if name == "max-http1":
        results, errors = run_concurrent(server, [max_size_review(args.cap, u) for u in uids])
    elif name == "max-http2":
        results, errors = run_h2load(server, max_size_review(args.cap, uids[0]), 64)
    elif name.startswith("dense-"):
        results, errors = run_concurrent(server, [dense_review(args.cap, u, name[len("dense-"):]) for u in uids])
    elif name == "slow":
        bodies = [max_size_review(args.cap, u) for u in uids]
        results, errors = run_concurrent(server, bodies, stall_after=args.cap - 1)
    elif name == "cpu-dense":
        body = dense_review(args.cap, uids[0], "unknown")
        results, errors = run_concurrent(server, [body])  # warm-up, not counted
        cpu0 = server.cpu_seconds()
        results, errors = {}, []
        for _ in range(20):
            r, e = run_concurrent(server, [body])
            for k, v in r.items():
                results[k] = results.get(k, 0) + v
            errors += e
        per_request = (server.cpu_seconds() - cpu0) / 20
    else:
        raise SystemExit(f"unknown probe {name}")
    elapsed = time.time() - t0
    hwm = max(server.peak, server.status("VmHWM"))
    alive = server.alive()
    # Still serving a normal review afterwards?
    try:
        after = classify(*post(server.port, json.dumps(json.load(open(SAMPLE))).encode())) if alive else "down"
    except OSError as e:
        after = f"no answer ({type(e).__name__})"
    cpu = server.cpu_seconds() - cpu0 if alive else None
    code = server.stop()
    return {"probe": name, "what": PROBES[name], "answers": results, "client_errors": len(errors),
           "error_kinds": sorted(set(errors)), "seconds": round(elapsed, 1), "peak_rss_mib": round(hwm / MIB, 1),
           "limit_mib": args.memory_mib, "alive": alive, "next_review": after, "exit": code,
           "server_cpu_s": round(cpu, 2) if cpu is not None else None,
           "cpu_ms_per_body": round(per_request * 1000, 1) if per_request is not None else None,
           "ok": alive and hwm < limit and after == "200 patched"
           and not any(k.startswith("HTTP 5") or k == "internal-error fallback" for k in results)}


def report(rows, args):
    print(f"| probe | answers | client errors | s | peak RSS MiB (limit {args.memory_mib}) | up after | next review |")
    print("|---|---|---:|---:|---:|---|---|")
    for r in rows:
        answers = ", ".join(f"{v} {k}" for k, v in sorted(r["answers"].items())) or "-"
        extra = f"; {r['cpu_ms_per_body']} ms CPU per body" if r["cpu_ms_per_body"] is not None else ""
        print(f"| {r['probe']} | {answers}{extra} | {r['client_errors']} | {r['seconds']} | {r['peak_rss_mib']} | "
              f"{'yes' if r['alive'] else 'NO'} | {r['next_review']} |")
    failed = [r["probe"] for r in rows if not r["ok"]]
    print("probes: " + ("all passed" if not failed else "FAILED: " + ", ".join(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
