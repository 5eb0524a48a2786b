"""Starting `guichet serve` for the drills, on ports the kernel picks.

A port found free with a throw-away socket can be taken by another test's server before
`guichet serve` binds it (the tests run in parallel), and the drill then measured a failed
restart that was only a port race. `--port 0 --admin-port 0` lets the kernel choose at the
bind itself; the server prints the addresses it took ("public listener http://HOST:PORT"),
which this reads back from the log.
"""
import os
import re
import subprocess
import time
import urllib.error
import urllib.request

_LISTENER = re.compile(rb"public listener (http://[0-9.]+:[0-9]+)")


def _ready(base):
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
            return r.status == 200
    except (urllib.error.HTTPError, OSError, ValueError):
        return False


def start(binary, data, log_path, timeout=120):
    """Starts the server; returns (process, base URL or None, seconds until /readyz answered
    200, or None when the process exited or the time ran out)."""
    began = time.time()
    offset = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    log = open(log_path, "ab")
    p = subprocess.Popen([binary, "serve", "--data", data, "--port", "0", "--admin-port", "0"],
                         stdout=log, stderr=log, start_new_session=True)
    base = None
    while time.time() - began < timeout:
        if p.poll() is not None:
            return p, base, None
        if base is None:
            with open(log_path, "rb") as f:
                f.seek(offset)
                found = _LISTENER.search(f.read())
            base = found.group(1).decode() if found else None
        elif _ready(base):
            return p, base, time.time() - began
        time.sleep(0.05)
    return p, base, None
