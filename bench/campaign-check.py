#!/usr/bin/python3
"""Checks the answers of a fuzzing campaign (bench/campaign.sh): reads the JSON lines of bench/Campaign on stdin,
applies every patch with an independent RFC 6902 implementation (python3-jsonpatch) and checks: no 5xx or
other status than 200 and 400 (400 with a message), no internal-error fallback, the uid echoed, no two
containers (containers + initContainers) with one name, no field of the request's pod lost or changed (but
the appmesh.k8s.aws/* annotations the injector writes), no
control character in any env value, egress addresses (APPMESH_EGRESS_IGNORED_IP) in canonical form.
Prints counts as one JSON object; exits 1 when any check failed. Examples of failures go to --examples FILE."""
import argparse, base64, collections, ipaddress, json, sys
import jsonpatch


def keeps(before, after):
    if before is None:
        return True  # a null field is an absent one to Kubernetes: the injector may fill it
    if isinstance(before, dict):
        return isinstance(after, dict) and all(k in after and keeps(v, after[k]) for k, v in before.items())
    if isinstance(before, list):
        if not isinstance(after, list):
            return False
        j = 0
        for item in before:
            while j < len(after) and after[j] != item:
                j += 1
            if j == len(after):
                return False
            j += 1
        return True
    return before == after and type(before) is type(after)


def without_own_annotations(pod):
    """The pod without the appmesh.k8s.aws/* annotations the injector writes itself (resolved mesh and virtual
    node, status, CNI mode's settings), replacing a malformed value it admitted."""
    pod = json.loads(json.dumps(pod))
    annotations = pod.get("metadata", {}).get("annotations") if isinstance(pod, dict) and isinstance(pod.get("metadata"), dict) else None
    if isinstance(annotations, dict):
        for key in [k for k in annotations if k.startswith("appmesh.k8s.aws/")]:
            del annotations[key]
    return pod


def readable(item):
    """An IPv4 or IPv6 address or CIDR in some form (Python reads dotted decimal and RFC 4291 forms only,
    so forms such as 010.0.0.1 or 0x7f.0.0.1 count as readable here when they parse after stripping
    brackets or leading zeros)."""
    address = item.partition("/")[0].strip("[]")
    try:
        ipaddress.ip_address(address)
        return True
    except ValueError:
        parts = address.split(".")
        return len(parts) == 4 and all(p.isdigit() or p.lower().startswith("0x") for p in parts)


def canonical(item):
    """The form RFC 5952 (IPv6) and dotted decimal (IPv4) give, with the prefix length as a plain number."""
    address, _, prefix = item.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped is not None:
        text = f"::ffff:{ip.ipv4_mapped}"  # RFC 5952 section 5 (Python before 3.13 prints it in hex)
    else:
        text = str(ip)
    return address == text and (not prefix or (prefix.isdigit() and str(int(prefix)) == prefix))


def check(line, problems, notes):
    if "error" in line:
        problems.append(("client error", line["error"]))
        return "client error"
    status, answer = line["status"], line["answer"]
    if status == 400:
        if not answer.endswith("\n") or len(answer) < 2:
            problems.append(("400 without a message", answer))
        return "400"
    if status != 200:
        problems.append((f"HTTP {status}", answer))
        return f"HTTP {status}"
    body = base64.b64decode(line["request"])
    try:
        review = json.loads(body)
    except ValueError as e:
        problems.append(("200 for a body that is not JSON", str(e)))
        return "200"
    response = json.loads(answer)["response"]
    if response.get("uid") != review["request"].get("uid"):
        problems.append(("uid not echoed", answer))
    if "could not process" in answer:
        problems.append(("internal-error fallback", answer))
    if "patch" not in response:
        return "200 allowed" if response.get("allowed") else "200 denied"
    pod = review["request"]["object"]
    ops = json.loads(base64.b64decode(response["patch"]))
    try:
        patched = jsonpatch.apply_patch(pod, ops)
    except Exception as e:  # noqa: BLE001 -- any failure of the independent applier is a finding
        problems.append(("patch does not apply", f"{e}: {ops}"))
        return "200 patched"
    spec = patched.get("spec") if isinstance(patched.get("spec"), dict) else {}
    lists = [spec.get("containers"), spec.get("initContainers")]
    containers = [c for l in lists if isinstance(l, list) for c in l if isinstance(c, dict)]
    def named(p):
        sp = p.get("spec") if isinstance(p, dict) and isinstance(p.get("spec"), dict) else {}
        return collections.Counter(c.get("name") for l in (sp.get("containers"), sp.get("initContainers")) if isinstance(l, list)
                                   for c in l if isinstance(c, dict) and isinstance(c.get("name"), str))
    before = named(pod)
    for name, n in named(patched).items():
        if n > 1 and n > before[name]:  # a duplicate the injector made, not one the request already had
            problems.append(("duplicate container name", name))
    if not keeps(without_own_annotations(pod), without_own_annotations(patched)):
        problems.append(("field lost or changed", json.dumps(ops)[:400]))
    own = named(pod)
    for c in containers:
        if isinstance(c.get("name"), str) and c["name"] in own:
            continue  # the request's own containers: their env is the user's
        for env in c.get("env") if isinstance(c.get("env"), list) else []:
            value = env.get("value") if isinstance(env, dict) else None
            if isinstance(value, str) and any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in value):
                problems.append(("control character in env", f"{c.get('name')}/{env.get('name')}={value!r}"))
            if isinstance(env, dict) and env.get("name") == "APPMESH_EGRESS_IGNORED_IP" and isinstance(value, str) and value:
                for item in value.split(","):
                    if not readable(item):
                        # Not an address at all: passed through with a warning, as the controller does
                        # (docs/migrating-from-controller.md); counted, not a failure of this check.
                        notes.append("egress value that is no address, passed through")
                    elif not canonical(item):
                        problems.append(("egress address not canonical", item))
    return "200 patched"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--examples")
    args = ap.parse_args()
    outcomes, problems, notes, examples = collections.Counter(), [], [], collections.defaultdict(list)
    reviews = 0
    for raw in sys.stdin:
        line = json.loads(raw)
        reviews += 1
        found = []
        outcomes[check(line, found, notes)] += 1
        for kind, detail in found:
            problems.append(kind)
            if len(examples[kind]) < 3:
                examples[kind].append({"detail": detail, "request": base64.b64decode(line["request"]).decode("utf-8", "replace")[:3000]})
    counts = collections.Counter(problems)
    print(json.dumps({"reviews": reviews, "answers": dict(outcomes), "problems": dict(counts), "notes": dict(collections.Counter(notes))}))
    if args.examples:
        json.dump(examples, open(args.examples, "w"), indent=1)
    sys.exit(1 if counts else 0)


if __name__ == "__main__":
    main()
