// Passkeys on Guichet's pages (docs/PAGES.md): the only script of the pages, loaded from this
// site by the pages that offer a passkey (the account page, the second-factor step, a step-up
// asked in the middle of a search or an export). It shows the passkey forms (hidden
// without script, where the code forms keep working), asks the API for a challenge with the
// session's CSRF token, lets the browser create or use a passkey, and posts the answer in the
// page's own form: the server verifies it exactly as POST /v1/me/mfa/webauthn and
// POST /v1/session/webauthn do.
"use strict";

function fromBase64URL(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
}

function toBase64URL(buffer) {
  let s = "";
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function field(form, name) {
  return form.querySelector('input[name="' + name + '"]');
}

async function challenge(form, path, body) {
  const response = await fetch(form.dataset.api + path, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "Guichet-CSRF": field(form, "csrf").value },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error("challenge refused: " + response.status);
  return response.json();
}

async function enrol(form) {
  const activation = field(form, "activationCode");
  const options = await challenge(form, "/me/mfa/webauthn/challenge", activation ? { activationCode: activation.value } : {});
  const credential = await navigator.credentials.create({
    publicKey: {
      challenge: fromBase64URL(options.challenge),
      rp: { id: options.rp.id, name: form.dataset.service },
      user: { id: fromBase64URL(options.user.id), name: options.user.name, displayName: options.user.name },
      pubKeyCredParams: options.pubKeyCredParams,
      attestation: options.attestation,
      authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
    },
  });
  field(form, "clientDataJSON").value = toBase64URL(credential.response.clientDataJSON);
  field(form, "attestationObject").value = toBase64URL(credential.response.attestationObject);
}

async function use(form) {
  const options = await challenge(form, "/session/webauthn/challenge", {});
  const credential = await navigator.credentials.get({
    publicKey: {
      challenge: fromBase64URL(options.challenge),
      rpId: options.rpId,
      allowCredentials: options.allowCredentials.map((id) => ({ type: "public-key", id: fromBase64URL(id) })),
      userVerification: "preferred",
    },
  });
  field(form, "credentialId").value = toBase64URL(credential.rawId);
  field(form, "clientDataJSON").value = toBase64URL(credential.response.clientDataJSON);
  field(form, "authenticatorData").value = toBase64URL(credential.response.authenticatorData);
  field(form, "signature").value = toBase64URL(credential.response.signature);
}

function offer(id, ceremony) {
  const form = document.getElementById(id);
  if (!form || !window.PublicKeyCredential || !navigator.credentials) return;
  form.hidden = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // A field typed in the page's other form (the reason a step-up asks for) goes with the
    // passkey's answer: checked there first, so that the browser says what is missing.
    for (const copy of form.querySelectorAll("input[data-from]")) {
      const source = document.getElementById(copy.dataset.from);
      if (!source) continue;
      if (!source.checkValidity()) {
        source.reportValidity();
        return;
      }
      copy.value = source.value;
    }
    const button = form.querySelector('button[type="submit"]');
    const error = document.getElementById(form.dataset.error);
    button.disabled = true;
    if (error) error.hidden = true;
    try {
      await ceremony(form);
      form.submit();
    } catch (e) {
      button.disabled = false;
      if (error) error.hidden = false;
    }
  });
}

offer("passkey-enrol", enrol);
offer("passkey-sign-in", use);
