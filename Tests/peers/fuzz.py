#!/usr/bin/env python3
"""Fuzzes a running Guichet with schemathesis (a tool we do not write), signed in as each role.

  fuzz.py PUBLIC_PORT ADMIN_PORT ACCOUNTS_JSON SECONDS_PER_RUN

Signs in the demo's accounts (staff enrol a TOTP second factor with their activation code,
through pyotp), then runs `schemathesis run` on each listener's own OpenAPI document: once
anonymous and once per role, each bounded to SECONDS_PER_RUN. The checks: all of
schemathesis' but one. No server error; every status code, content type, header and body as
the document says; a request the document calls wrong (a value outside an enumeration or a
pattern, a missing required parameter, no credentials) is refused; a method a path does not
answer is 405 with Allow. Left out: positive_data_acceptance (every request the document
allows is accepted), for some rules cannot be said in JSON Schema: a password that is common
or a sequence, a profile's fields by dossier type (docs/API.md, "What the documents cannot say"). Operations that end the
session being used (sign-out) are left out of signed-in runs, or the rest would only see 401.
Prints one line per run and the failures; exits 1 if any run failed.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request

import pyotp

public_port, admin_port, accounts_file, seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
PUBLIC = f"http://127.0.0.1:{public_port}"
ADMIN = f"http://127.0.0.1:{admin_port}"
accounts = {a["role"]: a for a in json.load(open(accounts_file))["accounts"]}


def call(url, body=None, token=None, method=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"))
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def sign_in(role):
    """A bearer token for the role's demo account, with a verified second factor for staff."""
    a = accounts[role]
    base = ADMIN if a["listener"] == "admin" else PUBLIC
    prefix = "/admin/v1" if a["listener"] == "admin" else "/v1"
    status, body = call(base + prefix + "/session", {"username": a["username"], "password": a["password"]})
    assert status == 201, f"{role} sign-in answered {status}"
    token = body["token"]
    if "activationCode" in a:
        status, body = call(base + prefix + "/me/mfa/totp", {"activationCode": a["activationCode"]}, token)
        assert status in (200, 201), f"{role} enrolment answered {status}: {body}"
        status, body = call(base + prefix + "/session/totp", {"code": pyotp.TOTP(body["secret"]).now()}, token)
        assert status == 200, f"{role} second factor answered {status}"
    return base, token


# Everyone signs in first: the anonymous runs try sign-ins at full speed, and the throttle
# then holds this address back, as it should.
runs = []
for role, purpose in [("parent", None), ("agent", "list-management"), ("daycare", None), ("admin", None), ("security", "breach-notification")]:
    base, token = sign_in(role)
    runs.append((role, base, token, purpose))
runs += [("public", PUBLIC, None, None), ("admin", ADMIN, None, None)]

schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
failed = []
for name, base, token, purpose in runs:
    command = [schemathesis, "run", base + "/openapi.json",
               "--checks", "all", "--exclude-checks", "positive_data_acceptance",
               "--max-time", str(seconds), "--max-examples", "30", "--workers", "1", "--request-timeout", "60",
               "--phases", "examples,coverage,fuzzing", "--no-color", "--seed", "1"]
    if token:
        command += ["-H", f"Authorization: Bearer {token}", "--exclude-path-regex", r"/session$|/me/sessions$"]
    if purpose:
        command += ["-H", f"Guichet-Purpose: {purpose}"]
    start = time.time()
    r = subprocess.run(command, capture_output=True, text=True, timeout=seconds * 4 + 120)
    out = r.stdout + r.stderr
    summary = [l for l in out.splitlines() if " generated" in l]
    print(f"{name}: exit {r.returncode} in {time.time() - start:.0f} s; {summary[-1].strip() if summary else 'no summary'}", flush=True)
    if r.returncode != 0:
        failed.append(name)
        # The failures section: what was sent and what came back (synthetic demo data only).
        tail = out[out.find("FAILURES"):] if "FAILURES" in out else out[-6000:]
        print(tail[:12000], flush=True)
sys.exit(1 if failed else 0)
