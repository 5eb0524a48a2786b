#!/usr/bin/env python3
"""Federated sign-in against a real OpenID Connect provider (issue #21 item 6).

  oidc_peer.py GUICHET_BINARY DEMO_FOLDER WORK_FOLDER

Starts oidc-provider-mock (PyPI, an authlib-based provider: real discovery, JWKS, RS256 ID
tokens, PKCE, nonce) on a free port, configures two providers in the demo registry's
guichet.yaml (`citoyens` for citizens, `agents` for staff, trusting acr `eidas2`), links
the demo parent and agent to subjects with `guichet accounts link-oidc`, starts `guichet
serve`, and plays the browser: /oidc/NAME/start, the provider's consent form, the callback.
Each case is a line of the JSON printed at the end ({"cases": {name: {"ok", "detail"}}});
exits 1 if any case failed.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

binary, demo, work = sys.argv[1], sys.argv[2], sys.argv[3]
data = os.path.join(work, "data")
shutil.copytree(demo, data)
accounts = {a["role"]: a for a in json.load(open(os.path.join(demo, "demo-accounts.json")))["accounts"]}
cases = {}
foreign = {}
secret = "synthetic-client-secret-" + os.urandom(8).hex()


def case(name, ok, detail=""):
    # Session and CSRF tokens are left out of what the test prints.
    text = re.sub(r"'(token|csrfToken)': '[^']*'", r"'\1': '…'", str(detail))
    cases[name] = {"ok": bool(ok), "detail": text[:300]}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def request(port, method, path, body=None, headers=None):
    """One HTTP request, redirects not followed; returns (status, headers dict (lower-case, lists), body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    hs = {}
    for k, v in r.getheaders():
        hs.setdefault(k.lower(), []).append(v)
    out = (r.status, hs, r.read())
    c.close()
    return out


def wait_for(port, path, seconds=60, process=None):
    """Whether `path` answers 200 within `seconds`; False at once if `process` exits first (its
    port taken by another test's server between free_port() and its bind, under a parallel run)."""
    began = time.time()
    while time.time() - began < seconds:
        if process is not None and process.poll() is not None:
            return False
        try:
            if request(port, "GET", path)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def log_tail(path):
    try:
        return open(path, errors="replace").read()[-1500:]
    except OSError:
        return "(no log)"


pub, adm = free_port(), free_port()
idp_log_path = os.path.join(work, "idp.log")
idp = None
for attempt in range(3):  # a port taken between free_port() and the bind: another port
    idp_port = free_port()
    idp_log = open(idp_log_path, "wb")
    idp = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(idp_port), "--require-nonce"],
                           stdout=idp_log, stderr=idp_log, start_new_session=True)
    if wait_for(idp_port, "/.well-known/openid-configuration", 180, idp):
        break
    if idp.poll() is None:
        break  # alive but slow: the assertion below says so
issuer = f"http://127.0.0.1:{idp_port}"
server = None
try:
    assert idp.poll() is None, "the provider did not start: " + log_tail(idp_log_path)
    secret_file = os.path.join(work, "client-secret")
    with open(secret_file, "w") as f:
        f.write(secret + "\n")
    os.chmod(secret_file, 0o600)
    settings = os.path.join(data, "guichet.yaml")
    settings_before = open(settings).read() if os.path.exists(settings) else ""

    def configure(pub):
        """The settings with both providers, the callbacks on the public port `pub`."""
        with open(settings, "w") as f:
            f.write(settings_before)
            f.write(f"""oidc:
  - name: citoyens
    issuer: {issuer}
    clientId: guichet-citizens
    clientSecretFile: {secret_file}
    redirectURI: http://127.0.0.1:{pub}/oidc/citoyens/callback
    population: citizen
  - name: agents
    issuer: {issuer}
    clientId: guichet-staff
    clientSecretEnv: GUICHET_TEST_OIDC_SECRET
    redirectURI: http://127.0.0.1:{pub}/oidc/agents/callback
    population: staff
    trustedACR: [eidas2]
    trustedAMR: [hwk]
""")

    configure(pub)

    def guichet(*args):
        return subprocess.run([binary, *args, "--data", data], capture_output=True, text=True, timeout=300)

    # Linking: explicit, journalled, never twice, never to an unknown account.
    r1 = guichet("accounts", "link-oidc", "--username", accounts["parent"]["username"], "--issuer", issuer, "--subject", "citizen-sub-1")
    r2 = guichet("accounts", "link-oidc", "--username", accounts["agent"]["username"], "--issuer", issuer, "--subject", "agent-sub-1")
    again = guichet("accounts", "link-oidc", "--username", accounts["agent"]["username"], "--issuer", issuer, "--subject", "citizen-sub-1")
    nobody = guichet("accounts", "link-oidc", "--username", "nobody.here", "--issuer", issuer, "--subject", "x-sub")
    case("link: two accounts linked by the command", r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr)
    case("link: a subject already linked is refused", again.returncode != 0 and "linked" in (again.stderr + again.stdout), again.stderr)
    case("link: an unknown user name is refused", nobody.returncode != 0, nobody.stderr)

    env = dict(os.environ, GUICHET_TEST_OIDC_SECRET=secret)
    for attempt in range(3):  # a port taken between free_port() and the bind: other ports
        server_log = open(os.path.join(work, "server.log"), "wb")
        server = subprocess.Popen([binary, "serve", "--data", data, "--port", str(pub), "--admin-port", str(adm)],
                                  stdout=server_log, stderr=server_log, env=env, start_new_session=True)
        if wait_for(pub, "/readyz", 300, server) or server.poll() is None:
            break
        pub, adm = free_port(), free_port()
        configure(pub)
    assert server.poll() is None and wait_for(pub, "/readyz", 1), "guichet did not become ready: " + log_tail(os.path.join(work, "server.log"))

    def begin(provider):
        """GET /oidc/P/start: returns (authorization URL, binding cookie)."""
        status, hs, _ = request(pub, "GET", f"/oidc/{provider}/start")
        assert status == 303, f"start answered {status}"
        cookie = next(c.split(";")[0] for c in hs["set-cookie"] if c.startswith("__Host-guichet-oidc="))
        assert "SameSite=Lax" in hs["set-cookie"][0] and "HttpOnly" in hs["set-cookie"][0]
        return hs["location"][0], cookie

    def consent(location, sub, change=None):
        """Posts the provider's consent form as `sub`; returns the callback's query (code, state, ...)."""
        u = urllib.parse.urlsplit(location)
        q = dict(urllib.parse.parse_qsl(u.query))
        if change:
            change(q)
        status, hs, body = request(idp_port, "POST", u.path + "?" + urllib.parse.urlencode(q), urllib.parse.urlencode({"sub": sub}),
                                   {"Content-Type": "application/x-www-form-urlencoded"})
        assert status in (301, 302, 303), f"the provider answered {status}: {body[:200]}"
        back = urllib.parse.urlsplit(hs["location"][0])
        return dict(urllib.parse.parse_qsl(back.query)), back.path

    def callback(provider, query, cookie):
        status, hs, body = request(pub, "GET", f"/oidc/{provider}/callback?" + urllib.parse.urlencode(query),
                                   headers={"Accept": "application/json", **({"Cookie": cookie} if cookie else {})})
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            parsed = {}
        return status, parsed, hs

    def api(method, path, token, headers=None):
        status, _, body = request(pub, method, path, headers={"Authorization": f"Bearer {token}", **(headers or {})})
        return status, json.loads(body or b"{}")

    issued = []   # tokens and codes seen, which must appear in no log

    # 1. A citizen signs in; the session works; no second factor is asked of citizens.
    location, cookie = begin("citoyens")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    case("start: code flow with PKCE S256, state and nonce, our client and redirect",
         q.get("response_type") == "code" and q.get("code_challenge_method") == "S256" and len(q.get("code_challenge", "")) == 43
         and len(q.get("state", "")) >= 43 and len(q.get("nonce", "")) >= 43 and q.get("client_id") == "guichet-citizens"
         and "openid" in q.get("scope", "").split(), q)
    back, path = consent(location, "citizen-sub-1")
    issued.append(back["code"])
    status, body, hs = callback("citoyens", back, cookie)
    token = body.get("token", "")
    issued.append(token)
    me = api("GET", "/v1/me", token)
    case("citizen: signed in as the linked account, no second factor",
         status == 201 and body.get("secondFactor") == "not-needed" and me[0] == 200 and me[1].get("username") == accounts["parent"]["username"]
         and any(c.startswith("__Host-guichet=") and "SameSite=Strict" in c for c in hs.get("set-cookie", [])), (status, body, me))
    dossiers = api("GET", "/v1/dossiers?limit=5", token)
    case("citizen: the federated session reads the citizen's own dossiers", dossiers[0] == 200 and dossiers[1].get("dossiers"), dossiers[0])
    some_dossier = (dossiers[1].get("dossiers") or [{}])[0].get("id", "none")

    # 1b. A browser (no JSON asked): 303 to the page with the session cookie.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "citizen-sub-1")
    status, hs, _ = request(pub, "GET", "/oidc/citoyens/callback?" + urllib.parse.urlencode(back), headers={"Cookie": cookie})
    session_cookie = next((c.split(";")[0] for c in hs.get("set-cookie", []) if c.startswith("__Host-guichet=")), "")
    me_by_cookie = request(pub, "GET", "/v1/me", headers={"Cookie": session_cookie})[0] if session_cookie else 0
    case("browser: 303 to the page with the session cookie, which then works",
         status == 303 and hs.get("location") == ["/"] and me_by_cookie == 200
         and any(c.startswith("__Host-guichet-oidc=;") and "Max-Age=0" in c for c in hs.get("set-cookie", [])), (status, hs.get("location"), me_by_cookie))

    # 2. The same callback again: the state was taken.
    status, body, _ = callback("citoyens", back, cookie)
    case("replayed state and code: refused", status == 403 and "state" in body.get("detail", ""), (status, body))

    # 3. A state never issued: refused; the genuine one still works afterwards.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "citizen-sub-1")
    issued.append(back["code"])
    status, body, _ = callback("citoyens", {**back, "state": "forged-" + back["state"][7:]}, cookie)
    case("wrong state: refused", status == 403 and "state" in body.get("detail", ""), (status, body))
    status, body, _ = callback("citoyens", back, cookie)
    issued.append(body.get("token", ""))
    case("wrong state: the genuine sign-in is not spoilt", status == 201, (status, body))

    # 4. A code already used, brought with a fresh state: the provider will not exchange it
    # (used, and bound to the other sign-in's PKCE verifier).
    location, cookie = begin("citoyens")
    fresh = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))["state"]
    status, body, _ = callback("citoyens", {"state": fresh, "code": back["code"]}, cookie)
    case("replayed code with a new state: refused", status == 403 and "exchange" in body.get("detail", ""), (status, body))

    # 5. The nonce changed on the way to the provider: the ID token carries another nonce.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "citizen-sub-1", lambda q: q.update(nonce="a-nonce-of-the-attacker"))
    status, body, _ = callback("citoyens", back, cookie)
    case("wrong nonce: refused", status == 403 and "nonce" in body.get("detail", ""), (status, body))

    # 6. A code issued to another client (the client id changed on the way): not ours to use.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "citizen-sub-1", lambda q: q.update(client_id="another-client"))
    status, body, _ = callback("citoyens", back, cookie)
    case("code for another audience (client): refused", status == 403, (status, body))

    # 7. The callback reached from another browser (no binding cookie): refused.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "citizen-sub-1")
    status, body, _ = callback("citoyens", back, None)
    case("another browser: refused", status == 403 and "browser" in body.get("detail", ""), (status, body))

    # 8. A subject linked to no account: a clear refusal, nothing created.
    location, cookie = begin("citoyens")
    back, _ = consent(location, "stranger-sub")
    status, body, _ = callback("citoyens", back, cookie)
    case("unlinked subject: refused, no account made", status == 403 and "no Guichet account is linked" in body.get("detail", ""), (status, body))

    # 9. Staff, the provider's acr not given: signed in, but Guichet's second factor is asked
    # before any personal data.
    location, cookie = begin("agents")
    back, _ = consent(location, "agent-sub-1")
    status, body, _ = callback("agents", back, cookie)
    token = body.get("token", "")
    issued.append(token)
    read = api("GET", f"/v1/dossiers/{some_dossier}", token, {"Guichet-Purpose": "list-management"})
    case("staff without trusted acr: second factor (TOTP) required",
         status == 201 and body.get("secondFactor") == "required" and read[0] == 403 and "second factor" in read[1].get("detail", ""),
         (status, body.get("secondFactor"), read))

    # 9b. ... and once the agent passes Guichet's TOTP in that same session (first factor:
    # enrolled with the account's activation code), the read works.
    import pyotp
    status_e, _, raw = request(pub, "POST", "/v1/me/mfa/totp", json.dumps({"activationCode": accounts["agent"]["activationCode"]}),
                               {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    enrolment = json.loads(raw or b"{}")
    code = pyotp.TOTP(enrolment.get("secret", "A" * 32)).now()
    status_v, _, _ = request(pub, "POST", "/v1/session/totp", json.dumps({"code": code}),
                             {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    after = api("GET", f"/v1/dossiers/{some_dossier}", token, {"Guichet-Purpose": "list-management"})
    case("staff without trusted acr: after Guichet's TOTP in the same session, the read works",
         status_e == 201 and status_v == 200 and after[0] == 200, (status_e, status_v, after[0]))

    # 10. Staff with an acr the settings do not trust: still Guichet's factor.
    request(idp_port, "PUT", "/users/agent-sub-1", json.dumps({"acr": "eidas1"}), {"Content-Type": "application/json"})
    location, cookie = begin("agents")
    back, _ = consent(location, "agent-sub-1")
    status, body, _ = callback("agents", back, cookie)
    issued.append(body.get("token", ""))
    case("staff with an untrusted acr: second factor required", status == 201 and body.get("secondFactor") == "required", (status, body.get("secondFactor")))

    # 11. Staff with the trusted acr: the provider's authentication counts as the second factor.
    request(idp_port, "PUT", "/users/agent-sub-1", json.dumps({"acr": "eidas2"}), {"Content-Type": "application/json"})
    location, cookie = begin("agents")
    back, _ = consent(location, "agent-sub-1")
    status, body, _ = callback("agents", back, cookie)
    token = body.get("token", "")
    issued.append(token)
    read = api("GET", f"/v1/dossiers/{some_dossier}", token, {"Guichet-Purpose": "list-management"})
    case("staff with the trusted acr: no second factor asked again",
         status == 201 and body.get("secondFactor") == "done-by-provider" and read[0] == 200 and read[1].get("id") == some_dossier,
         (status, body.get("secondFactor"), read[0], read[1].get("detail")))

    # 11b. Staff whose provider says a hardware key was used (amr hwk, trusted) counts too;
    # amr pwd alone does not.
    request(idp_port, "PUT", "/users/agent-sub-1", json.dumps({"amr": ["pwd"]}), {"Content-Type": "application/json"})
    location, cookie = begin("agents")
    back, _ = consent(location, "agent-sub-1")
    status, body, _ = callback("agents", back, cookie)
    pwd_only = (status, body.get("secondFactor"))
    request(idp_port, "PUT", "/users/agent-sub-1", json.dumps({"amr": ["pwd", "hwk"]}), {"Content-Type": "application/json"})
    location, cookie = begin("agents")
    back, _ = consent(location, "agent-sub-1")
    status, body, _ = callback("agents", back, cookie)
    case("staff amr: a trusted method counts as the second factor, another does not",
         pwd_only == (201, "required") and (status, body.get("secondFactor")) == (201, "done-by-provider"), (pwd_only, status, body.get("secondFactor")))

    # 12. A citizen's subject through the staff provider: the population does not fit.
    location, cookie = begin("agents")
    back, _ = consent(location, "citizen-sub-1")
    status, body, _ = callback("agents", back, cookie)
    case("a citizen's identity through the staff provider: refused", status == 403 and "kind" in body.get("detail", ""), (status, body))

    # 13. An unknown provider name.
    status, _, _ = request(pub, "GET", "/oidc/nope/start")
    case("unknown provider: refused", status == 403, status)

    # 13b. One address may have at most 20 sign-ins under way: the next start gets 429.
    began, limited = 0, None
    for _ in range(30):
        status, hs, _ = request(pub, "GET", "/oidc/citoyens/start")
        if status == 303:
            began += 1
        else:
            limited = (status, hs.get("retry-after"))
            break
    case("sign-ins under way per address: at most 20, then 429 with Retry-After",
         began <= 20 and limited is not None and limited[0] == 429 and limited[1], (began, limited))

    # 14. A real ID token of this provider issued to another client, for the test to put
    # through Guichet's verifier (audience, expiry) with the provider's real keys.
    auth_url = json.loads(request(idp_port, "GET", "/.well-known/openid-configuration")[2])["authorization_endpoint"]
    foreign_nonce = "nonce-" + os.urandom(8).hex()
    query = {"response_type": "code", "client_id": "another-client", "redirect_uri": "http://127.0.0.1:1/cb",
             "scope": "openid", "state": "s", "nonce": foreign_nonce}
    back, _ = consent(auth_url + "?" + urllib.parse.urlencode(query), "citizen-sub-1")
    status, _, raw = request(idp_port, "POST", "/oauth2/token",
                             urllib.parse.urlencode({"grant_type": "authorization_code", "code": back["code"],
                                                     "redirect_uri": "http://127.0.0.1:1/cb", "client_id": "another-client",
                                                     "client_secret": "another-secret"}),
                             {"Content-Type": "application/x-www-form-urlencoded"})
    foreign = {"issuer": issuer, "nonce": foreign_nonce, "idToken": json.loads(raw).get("id_token", "") if status == 200 else "",
               "jwks": json.loads(request(idp_port, "GET", "/jwks")[2])}

    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    server = None

    # Nothing secret in the logs: the client secret, codes and session tokens.
    logs = open(os.path.join(work, "server.log"), "rb").read().decode(errors="replace")
    leaked = [what for what, v in [("client secret", secret)] + [("code or token", t) for t in issued if t] if v in logs]
    case("no client secret, code or token in the server's log", not leaked and len(logs) > 0, leaked)

    # The links in the ledger and in the database are counted by the Swift test, on either back-end.
    verify = guichet("ledger", "verify")
    case("the ledger verifies", verify.returncode == 0, verify.stdout[-300:] + verify.stderr[-300:])
except Exception as e:  # the peer itself broke: a failed case, then clean up
    case("the peer ran to its end", False, f"{type(e).__name__}: {e}")
finally:
    if server is not None and server.poll() is None:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    # The provider is ours to stop; SIGTERM may be ignored when inherited ignored from the test
    # runner, so SIGKILL after a short wait.
    try:
        os.killpg(idp.pid, signal.SIGTERM)
        idp.wait(timeout=5)
    except ProcessLookupError:
        pass  # it had stopped by itself
    except subprocess.TimeoutExpired:
        os.killpg(idp.pid, signal.SIGKILL)
        idp.wait()

print(json.dumps({"cases": cases, "foreign": foreign}))
failed = [n for n, c in cases.items() if not c["ok"]]
if failed:
    for n in failed:
        print("FAILED:", n, cases[n]["detail"])
    try:
        print(open(os.path.join(work, "server.log"), errors="replace").read()[-3000:])
    except OSError:
        pass
sys.exit(1 if failed else 0)
