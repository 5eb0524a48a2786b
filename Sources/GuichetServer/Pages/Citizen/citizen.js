// The citizens' page: sign in, then each access to your files, its inclusion proof (RFC 9162
// §2.1.3.2) verified with the browser's own SHA-256 (WebCrypto) against the signed checkpoint.
// Its words come from the page's JSON data block (texts/LANG.json).
"use strict";
const T = JSON.parse(document.getElementById("texts").textContent);
const lang = document.documentElement.lang;
const $ = (id) => document.getElementById(id);
let csrf = sessionStorage.getItem("guichet-csrf");

function bytes(b64) { return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)); }
function equal(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }
async function sha256(...parts) {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { all.set(p, at); at += p.length; }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", all));
}
// RFC 9162 §2.1.3.2: recompute the root from the leaf and the audit path.
async function verifyInclusion(index, size, leaf, path, root) {
  if (index >= size) return false;
  let fn = index, sn = size - 1, r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(Uint8Array.of(1), p, r);
      if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
    } else {
      r = await sha256(Uint8Array.of(1), r, p);
    }
    fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}
async function check(access, checkpoint) {
  const entry = bytes(access.entry);
  const leaf = await sha256(Uint8Array.of(0), entry);
  if (!equal(leaf, bytes(access.leafHash))) return "bad";
  if (!checkpoint || access.proof === null) return "pending";
  const ok = await verifyInclusion(access.index, checkpoint.size, leaf, access.proof.map(bytes), bytes(checkpoint.rootHash));
  return ok ? "ok" : "bad";
}
// A time as the /web pages write it (PageFormat.time, docs/PAGES.md "Times and numbers"), in
// UTC whatever the browser's zone: "6 décembre 2026 à 12:52 UTC", "6 December 2026, 12:52 UTC".
function when(at) {
  const d = new Date(at);
  const two = (n) => String(n).padStart(2, "0");
  const day = d.getUTCDate();
  return T.timeFormat.replace("{day}", day === 1 ? T.firstDay : String(day))
    .replace("{month}", T.months.split(",")[d.getUTCMonth()])
    .replace("{year}", String(d.getUTCFullYear()))
    .replace("{time}", two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()));
}
function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}
// The same labels as the /web pages (texts action_*, role_*, purpose_* of Pages/Web/texts):
// an action by its full name (provision:caseload-assign), then by its kind (transition).
function label(prefix, name) { return T[prefix + name] || name; }
function actionName(a) {
  return T["action_" + a.action] || T["action_" + a.action.split(":")[0]] || a.action;
}
async function showHistory() {
  // The history comes a page at a time; each page's proofs are against its own checkpoint.
  let h, all = [], after = null;
  for (;;) {
    const r = await fetch("/v1/me/access-history?language=" + lang + (after === null ? "" : "&after=" + after), { credentials: "same-origin" });
    if (r.status === 401) return showSignIn();
    if (r.status === 403) { showSignIn(T.notCitizen); return; }
    if (r.status === 429) { await new Promise(done => setTimeout(done, 1000)); continue; }
    h = await r.json();
    for (const a of h.accesses) { a.checkpoint = h.checkpoint; all.push(a); }
    if (h.next === null || h.next === undefined) break;
    after = h.next;
  }
  h.accesses = all;
  $("sign-in").hidden = true;
  $("history").hidden = false;
  const body = $("accesses");
  body.replaceChildren();
  const accesses = h.accesses.slice().reverse();
  for (const a of accesses) {
    const row = document.createElement("tr");
    row.className = "access";
    const time = document.createElement("time");
    time.dateTime = a.at;
    time.textContent = when(a.at);
    cell(row, "", "when").appendChild(time);
    // No account's role: the service itself wrote the entry (a notice mailed, the sign-up).
    const who = a.byYou ? T.you : [a.organisation && a.organisation.name, a.role && label("role_", a.role)].filter(Boolean).join(" · ") || T.system;
    cell(row, who).className = "who";
    cell(row, actionName(a) + (a.decision === "deny" ? " (" + T.denied + ")" : "")).className = "action";
    // An access that returned no field of theirs (a list, a file's rank) says so, rather than a blank.
    cell(row, a.fieldLabels.length ? a.fieldLabels.join(", ") : T.noField).className = "fields";
    cell(row, a.purpose ? label("purpose_", a.purpose) : "—").className = "purpose";
    const status = await check(a, a.checkpoint);
    const proof = cell(row, status === "ok" ? T.verified : status === "pending" ? T.pending : T.notVerified,
                       status === "ok" ? "ok proof" : status === "pending" ? "proof" : "bad proof");
    proof.dataset.status = status;
    body.appendChild(row);
  }
  $("summary").textContent = accesses.length === 0 ? T.none
    : (accesses.length === 1 ? T.summaryOne : T.summary).replace("{n}", accesses.length).replace("{size}", h.checkpoint ? h.checkpoint.size : 0);
  $("checkpoint").textContent = h.checkpoint ? h.checkpoint.note : "";
  document.body.dataset.ready = "history";
}
function showSignIn(message) {
  $("history").hidden = true;
  $("sign-in").hidden = false;
  const e = $("sign-in-error");
  e.hidden = !message;
  e.textContent = message || "";
  document.body.dataset.ready = "sign-in";
}
$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  const r = await fetch("/v1/session", {
    method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("username").value, password: $("password").value }),
  });
  $("password").value = "";
  if (r.status === 201) {
    csrf = (await r.json()).csrfToken;   // the token itself stays in the HttpOnly cookie
    sessionStorage.setItem("guichet-csrf", csrf);
    await showHistory();
  } else {
    showSignIn(r.status === 429 ? T.throttled : T.signInFailed);
  }
});
$("sign-out").addEventListener("click", async () => {
  await fetch("/v1/session", { method: "DELETE", credentials: "same-origin", headers: { "Guichet-CSRF": csrf || "" } });
  sessionStorage.removeItem("guichet-csrf");
  csrf = null;
  showSignIn();
});
showHistory();
