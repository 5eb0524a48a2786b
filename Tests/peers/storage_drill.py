#!/usr/bin/env python3
"""Storage drill (issue #21 item 5): a disk that fills up and a database that turns read-only
under a serving Guichet, on a real filesystem the drill mounts (so it must run as root).

  storage_drill.py GUICHET_BINARY DEMO_FOLDER WORK_FOLDER

DEMO_FOLDER is a demo registry (`guichet demo --no-serve`) with its demo-accounts.json; it is
copied onto a small ext4 filesystem in a loop file under WORK_FOLDER, mounted with
`errors=remount-ro`, and served from there. Then, with the demo parent reading and updating
their applications all along:

1. disk full: a filler file takes every free block (until the kernel says ENOSPC). Reads and
   writes must then fail with a 503 problem document and no personal value (a read whose
   journal entry cannot be written returns nothing), /readyz must answer 503, the process
   must keep running. The filler is removed: the same process must become ready again and
   serve reads and writes, without a restart.
2. read-only: the kernel is told to record an ext4 error (/sys/fs/ext4/DEV/trigger_fs_error),
   and with errors=remount-ro it makes the filesystem read-only under the open database, as
   it does when a disk fails. Reads and writes must fail with 503, /readyz 503, no crash. A
   filesystem in that state cannot be made writable again while mounted (the kernel refuses
   `remount,rw`; it needs e2fsck), so recovery is: stop the server, unmount, e2fsck, mount,
   start the server.

At the end: every acknowledged write is there (version at least the acknowledged one), every
read that answered 200 has its ledger entry (by request id), and `guichet ledger verify`
passes. Prints the figures as one JSON line; exits 1 when a check fails, 2 when the drill
cannot mount a filesystem here (not root, no loop device).
"""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import guichet_server

binary, demo, work = sys.argv[1], sys.argv[2], sys.argv[3]
accounts = {a["role"]: a for a in json.load(open(os.path.join(demo, "demo-accounts.json")))["accounts"]}
image, mnt = os.path.join(work, "disk.img"), os.path.join(work, "mnt")
data = os.path.join(mnt, "data")
server_log = os.path.join(work, "server.log")
failures = []


def fail(message):
    failures.append(message)


def sh(*args, check=True):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.returncode} {r.stderr.strip()}")
    return r


def folder_size(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def call(base, path, body=None, token=None, method=None, timeout=20):
    """Returns (status, JSON body or raw text, request id, content type); status 0 when no answer."""
    req = urllib.request.Request(base + path, data=json.dumps(body).encode() if body is not None else None,
                                 method=method or ("POST" if body is not None else "GET"))
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw or b"{}"), r.headers.get("X-Request-Id"), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            parsed = raw.decode(errors="replace")
        return e.code, parsed, e.headers.get("X-Request-Id"), e.headers.get("Content-Type", "")
    except (OSError, ValueError):
        return 0, {}, None, ""


def start():
    """Starts the server; returns (process, base URL, seconds until /readyz answered 200)."""
    return guichet_server.start(binary, data, server_log)


# --- the filesystem -------------------------------------------------------------------------
if os.geteuid() != 0:
    print("the storage drill mounts a filesystem: run it as root")
    sys.exit(2)
os.makedirs(mnt, exist_ok=True)
size_mb = folder_size(demo) // (1 << 20) + 96  # /readyz wants 32 MiB free
try:
    sh("truncate", "-s", f"{size_mb}M", image)
    sh("mkfs.ext4", "-q", "-F", "-m", "0", image)
    sh("mount", "-o", "loop,errors=remount-ro", image, mnt)
except (RuntimeError, FileNotFoundError) as e:
    print(f"cannot mount a loop filesystem here: {e}")
    sys.exit(2)
device = os.path.basename(os.path.realpath(sh("findmnt", "-n", "-o", "SOURCE", mnt).stdout.strip()))
shutil.copytree(demo, data)
os.sync()  # the copy on disk, not only in the page cache, before the kernel is told to fail

figures = {"imageMiB": size_mb}
acknowledged = {}        # dossier -> highest version acknowledged
read_ids = []            # request ids of reads that answered 200
lock = threading.Lock()
p = None


def load(base, token, dossiers, seconds, until=None):
    """A writer and a reader for `seconds` (or until `until()` holds, at most `seconds`).
    Returns {"read": {status: n}, "write": {status: n}, "bad": [why]}."""
    seen = {"read": {}, "write": {}, "bad": []}
    stop = threading.Event()

    def check_refusal(kind, status, body, ctype):
        if status in (200, 0):
            return
        if status != 503:
            seen["bad"].append(f"{kind} answered {status}")
        if "problem+json" not in ctype or not isinstance(body, dict) or not body.get("detail"):
            seen["bad"].append(f"{kind} {status} is not a problem document")
        elif set(body) - {"type", "title", "status", "detail", "instance", "requestId"}:
            seen["bad"].append(f"{kind} {status} carries more than a problem: {sorted(body)}")

    def writer():
        i = 0
        while not stop.is_set():
            i += 1
            d = dossiers[i % len(dossiers)]
            status, body, _, ctype = call(base, f"/v1/dossiers/{d}", {"fields": {"daysPerWeek": 1 + i % 5}}, token, method="PATCH")
            with lock:
                seen["write"][status] = seen["write"].get(status, 0) + 1
                if status == 200:
                    acknowledged[d] = max(acknowledged.get(d, 0), body["version"])
                check_refusal("write", status, body, ctype)
            time.sleep(0.02)

    def reader():
        i = 0
        while not stop.is_set():
            i += 1
            path = "/v1/dossiers?limit=20" if i % 2 else f"/v1/dossiers/{dossiers[i % len(dossiers)]}"
            status, body, rid, ctype = call(base, path, token=token)
            with lock:
                seen["read"][status] = seen["read"].get(status, 0) + 1
                if status == 200:
                    read_ids.append(rid)
                check_refusal("read", status, body, ctype)
            time.sleep(0.02)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    began = time.time()
    while time.time() - began < seconds and not (until and until(seen)):
        time.sleep(0.1)
    stop.set()
    for t in threads:
        t.join()
    return seen


def both_refused(seen):
    return seen["read"].get(503, 0) >= 3 and seen["write"].get(503, 0) >= 3


def readyz(base):
    status, body, _, _ = call(base, "/readyz", timeout=10)
    return status, body


try:
    p, base, ready = start()
    assert ready is not None, "the server did not start"
    pid = p.pid
    parent = accounts["parent"]
    status, session, _, _ = call(base, "/v1/session", {"username": parent["username"], "password": parent["password"]}, timeout=120)
    assert status == 201, f"parent sign-in answered {status}"
    token = session["token"]
    status, page, _, _ = call(base, "/v1/dossiers?limit=20", token=token)
    dossiers = [d["id"] for d in page.get("dossiers", page.get("results", []))]
    assert status == 200 and dossiers, f"the parent's applications: {status}"
    before = load(base, token, dossiers, 1.5)
    if before["write"].get(200, 0) == 0 or before["read"].get(200, 0) == 0 or before["bad"]:
        fail(f"the load did not work before the faults: {before}")

    # --- 1. disk full ------------------------------------------------------------------------
    filler = os.path.join(mnt, "filler")
    chunk = b"\0" * (1 << 20)
    began = time.time()
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(chunk)
                f.flush()
                os.fsync(f.fileno())
        except OSError:
            pass
    figures["fillerMiB"] = os.path.getsize(filler) >> 20
    # A single block may still be free (the last partial chunk): take it too.
    try:
        with open(filler, "ab") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
                os.fsync(f.fileno())
    except OSError:
        pass
    full = load(base, token, dossiers, 60, until=both_refused)
    figures["diskFull"] = {"reads": full["read"], "writes": full["write"], "secondsToRefuse": round(time.time() - began, 2)}
    status, body = readyz(base)
    figures["diskFull"]["readyz"] = status
    checks = body.get("checks", {}) if isinstance(body, dict) else {}
    if status != 503 or (checks.get("disk", "ok") == "ok" and checks.get("writable", "ok") == "ok"):
        fail(f"/readyz with a full disk answered {status} {body}")
    if not both_refused(full):
        fail(f"with a full disk, reads and writes were not refused: {full}")
    figures["diskFull"]["unclear"] = full["bad"][:5]
    if full["bad"]:
        fail(f"with a full disk, unclear refusals: {full['bad'][:5]}")
    if p.poll() is not None:
        fail("the server stopped when the disk filled up")

    os.remove(filler)
    began = time.time()
    while time.time() - began < 60 and readyz(base)[0] != 200:
        time.sleep(0.1)
    figures["diskFull"]["secondsToReadyAfterSpace"] = round(time.time() - began, 2)
    after = load(base, token, dossiers, 2)
    figures["diskFull"]["afterSpace"] = {"reads": after["read"], "writes": after["write"]}
    if p.poll() is not None or p.pid != pid:
        fail("the server did not survive the full disk")
    if readyz(base)[0] != 200 or after["write"].get(200, 0) == 0 or after["read"].get(200, 0) == 0 or after["bad"]:
        fail(f"no recovery without a restart once space returned: {after}")

    # --- 2. read-only -----------------------------------------------------------------------
    began = time.time()
    with open(f"/sys/fs/ext4/{device}/trigger_fs_error", "w") as f:
        f.write("guichet storage drill\n")
    ro = load(base, token, dossiers, 60, until=both_refused)
    figures["readOnly"] = {"reads": ro["read"], "writes": ro["write"], "secondsToRefuse": round(time.time() - began, 2)}
    status, body = readyz(base)
    figures["readOnly"]["readyz"] = status
    if status != 503:
        fail(f"/readyz on a read-only filesystem answered {status} {body}")
    if not both_refused(ro):
        fail(f"on a read-only filesystem, reads and writes were not refused: {ro}")
    figures["readOnly"]["unclear"] = ro["bad"][:5]
    if ro["bad"]:
        fail(f"on a read-only filesystem, unclear refusals: {ro['bad'][:5]}")
    if p.poll() is not None:
        fail(f"the server stopped when the filesystem turned read-only (exit {p.returncode})")
    remount = sh("mount", "-o", "remount,rw", mnt, check=False)
    figures["readOnly"]["remountRwRefused"] = remount.returncode != 0

    # Recovery: stop, unmount, check the filesystem, mount, start.
    began = time.time()
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
        figures["readOnly"]["stopExit"] = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        figures["readOnly"]["stopExit"] = "killed after 30 s"
    p = None
    sh("umount", mnt)
    fsck = sh("e2fsck", "-f", "-y", image, check=False)
    figures["readOnly"]["e2fsckExit"] = fsck.returncode
    figures["readOnly"]["e2fsck"] = [l for l in fsck.stdout.splitlines() if l and not l.startswith("Pass ")][:8]
    sh("mount", "-o", "loop,errors=remount-ro", image, mnt)
    p, base, ready = start()
    if ready is None:
        fail("the server did not start again after e2fsck")
    else:
        figures["readOnly"]["secondsToReadyAfterRecovery"] = round(time.time() - began, 2)
        status, session, _, _ = call(base, "/v1/session", {"username": parent["username"], "password": parent["password"]}, timeout=120)
        token = session.get("token") if status == 201 else None
        # Every acknowledged write is there, before anything else is written.
        lost = []
        for d, v in acknowledged.items():
            status, body, _, _ = call(base, f"/v1/dossiers/{d}", token=token)
            if status != 200 or body.get("version", -1) < v:
                lost.append(d)
        figures["writesAcknowledged"] = sum(v for s in (before, full, after, ro) for k, v in s["write"].items() if k == 200)
        figures["dossiersWithAcknowledgedWrites"] = len(acknowledged)
        figures["writesLost"] = len(lost)
        if lost:
            fail(f"{len(lost)} acknowledged writes are missing")
        final = load(base, token, dossiers, 1)
        if final["write"].get(200, 0) == 0 or final["read"].get(200, 0) == 0:
            fail(f"after recovery the load does not work: {final}")
    p.send_signal(signal.SIGTERM)
    p.wait(timeout=60)
    p = None

    # Every read that answered 200 has its ledger entry.
    db = sqlite3.connect(f"file:{os.path.join(data, 'guichet.sqlite')}?mode=ro", uri=True)
    journalled = {r[0] for r in db.execute("SELECT DISTINCT request_id FROM ledger_entry")}
    db.close()
    unjournalled = [r for r in read_ids if r not in journalled]
    figures["reads200"] = len(read_ids)
    figures["reads200WithoutEntry"] = len(unjournalled)
    if not read_ids or unjournalled:
        fail(f"{len(unjournalled)} of {len(read_ids)} successful reads have no ledger entry")
    verify = subprocess.run([binary, "ledger", "verify", "--data", data], capture_output=True, text=True, timeout=600)
    figures["ledgerVerifies"] = verify.returncode == 0
    if verify.returncode != 0:
        fail(f"ledger verify: {verify.stdout[-1000:]} {verify.stderr[-1000:]}")
except Exception as e:  # the drill itself broke: report it as a failure, then clean up
    fail(f"drill error: {type(e).__name__}: {e}")
finally:
    if p is not None and p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    sh("umount", mnt, check=False)

print(json.dumps({**figures, "failures": failures}))
if failures:
    try:
        print(open(server_log, errors="replace").read()[-3000:])
    except OSError:
        pass
sys.exit(1 if failures else 0)
