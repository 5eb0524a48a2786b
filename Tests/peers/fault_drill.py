#!/usr/bin/env python3
"""Fault drill (issue #21 item 5): kill -9 a serving Guichet under mixed read and write load,
again and again, and check that nothing it acknowledged was lost.

  fault_drill.py GUICHET_BINARY DATA_FOLDER KILLS

DATA_FOLDER is a demo registry (`guichet demo --no-serve`) with its demo-accounts.json.
Each round starts `guichet serve`, waits for /readyz, runs two writers (the demo parent
updating their applications: each 200 is an acknowledged write, with its version) and a
reader (the parent's list) for a random 0.3 to 1.5 s, then SIGKILLs the server, restarts it
and, before anything else is written, reads each application back: its version must be at
least the highest acknowledged. At the end `guichet ledger verify` checks the ledger. Prints the figures as one JSON line; exits 1 if
any acknowledged write is missing, the ledger does not verify, or a restart failed.
"""
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import guichet_server

binary, data, kills = sys.argv[1], sys.argv[2], int(sys.argv[3])
accounts = {a["role"]: a for a in json.load(open(os.path.join(data, "demo-accounts.json")))["accounts"]}
random.seed(7)


def call(base, path, body=None, token=None, method=None, timeout=20):
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method or ("POST" if body is not None else "GET"))
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, {}
    except (OSError, ValueError):
        return 0, {}


def start():
    """Starts the server; returns (process, base URL, seconds until /readyz answered 200)."""
    return guichet_server.start(binary, data, os.path.join(data, "drill-server.log"))


acknowledged = 0         # writes the server answered 200 for
attempted = 0
lost = []                # (round, dossier, acknowledged version, version found after the restart)
lock = threading.Lock()
figures = {"kills": 0, "restartFailures": 0, "restartSeconds": [], "reads": 0, "refused": {}}

p, base, ready = start()
assert ready is not None, "the server did not start"
parent = accounts["parent"]
# A sign-in derives scrypt (32 MiB, three passes); a debug build on a busy two-core CI machine
# has taken more than 20 s for it, so this one call gets two minutes.
status, session = call(base, "/v1/session", {"username": parent["username"], "password": parent["password"]}, timeout=120)
assert status == 201, f"parent sign-in answered {status}"
token = session["token"]
# The parent's own applications: the writers update them (a parent's daily work; creating
# hundreds of children would rightly trip the citizen's ceiling).
status, page = call(base, "/v1/dossiers?limit=20", token=token)
dossiers = [d["id"] for d in page.get("dossiers", page.get("results", []))]
assert status == 200 and dossiers, f"the parent's applications: {status} {page}"


def version(d):
    status, body = call(base, f"/v1/dossiers/{d}", token=token)
    return body.get("version", -1) if status == 200 else -1


for round_ in range(kills):
    stop = threading.Event()
    highest = {}         # dossier -> highest version acknowledged in this round

    def writer(w):
        global attempted, acknowledged
        i = 0
        while not stop.is_set():
            i += 1
            d = dossiers[(w + i) % len(dossiers)]
            with lock:
                attempted += 1
            status, body = call(base, f"/v1/dossiers/{d}", {"fields": {"daysPerWeek": 1 + i % 5}}, token, method="PATCH")
            with lock:
                if status == 200:
                    acknowledged += 1
                    highest[d] = max(highest.get(d, 0), body["version"])
                elif status != 0:
                    figures["refused"][str(status)] = figures["refused"].get(str(status), 0) + 1

    def reader():
        while not stop.is_set():
            status, _ = call(base, "/v1/dossiers?limit=20", token=token)
            with lock:
                figures["reads"] += 1 if status == 200 else 0

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(2)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.3, 1.5))
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    figures["kills"] += 1
    stop.set()
    for t in threads:
        t.join()
    p, base, ready = start()
    if ready is None:
        figures["restartFailures"] += 1
        break
    figures["restartSeconds"].append(ready)
    # Before anything else is written: every version acknowledged before the kill is there.
    for d, v in highest.items():
        found = version(d)
        if found < v:
            lost.append((round_, d, v, found))

p.send_signal(signal.SIGTERM)
p.wait(timeout=60)
verify = subprocess.run([binary, "ledger", "verify", "--data", data], capture_output=True, text=True, timeout=600)
times = figures.pop("restartSeconds") or [0]
print(json.dumps({**figures, "writesAttempted": attempted, "writesAcknowledged": acknowledged, "writesLost": len(lost),
                  "ledgerVerifies": verify.returncode == 0, "restartMedianSeconds": round(sorted(times)[len(times) // 2], 2),
                  "restartMaxSeconds": round(max(times), 2)}))
if lost:
    print("lost:", lost[:20])
if verify.returncode != 0:
    print(verify.stdout[-2000:], verify.stderr[-2000:])
sys.exit(1 if lost or verify.returncode != 0 or figures["restartFailures"] or acknowledged == 0 else 0)
