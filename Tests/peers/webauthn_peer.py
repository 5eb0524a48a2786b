#!/usr/bin/env python3
"""WebAuthn authenticator peer for the GuichetMFA tests.

The ceremonies are performed by soft-webauthn's SoftWebauthnDevice (a software authenticator
and client we do not write). Between invocations the device's state (its P-256 private key,
credential id, RP ID, user handle and signature counter) is kept in a JSON state file, so that
a test can register, verify, issue the next challenge, and sign in, as a server would.

  webauthn_peer.py create STATE RP_ID ORIGIN CHALLENGE_B64URL USER_ID_B64URL [ATTESTATION]
      ATTESTATION: none (default, as soft-webauthn makes it), or, re-wrapping soft-webauthn's
      authData: packed-self (packed self-attestation, WebAuthn §8.2, signed with the
      credential key), packed-x5c (packed with a certificate chain), fido-u2f, bogus-format.
      Prints {"id", "clientDataJSON", "attestationObject"} (base64url).
  webauthn_peer.py get STATE RP_ID ORIGIN CHALLENGE_B64URL [--as-rp-id OTHER] [--set-sign-count N]
      --as-rp-id: the device answers as though its credential were scoped to OTHER (the same
      key signs authenticator data carrying OTHER's rpIdHash).
      --set-sign-count: set the device counter before signing (a clone whose counter lags).
      Prints {"id", "clientDataJSON", "authenticatorData", "signature", "signCount"}.
"""
import base64
import json
import sys

try:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from fido2 import cbor
    from fido2.utils import sha256
    from soft_webauthn import SoftWebauthnDevice
except ImportError as error:
    sys.exit(f"webauthn peer dependency missing ({error}): "
             "python3 -m venv .venv && .venv/bin/pip install -r Tests/peers/requirements.txt")


def b64u(data):
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def save(device, path):
    pem = device.private_key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())
    state = {"rp_id": device.rp_id, "user_handle": b64u(device.user_handle),
             "credential_id": b64u(device.credential_id), "sign_count": device.sign_count,
             "private_key": pem.decode("ascii")}
    with open(path, "w") as f:
        json.dump(state, f)


def load(path):
    with open(path) as f:
        state = json.load(f)
    device = SoftWebauthnDevice()
    device.rp_id = state["rp_id"]
    device.user_handle = unb64u(state["user_handle"])
    device.credential_id = unb64u(state["credential_id"])
    device.sign_count = state["sign_count"]
    device.private_key = serialization.load_pem_private_key(state["private_key"].encode("ascii"), None)
    return device


def rewrap(device, response, attestation):
    """Replaces soft-webauthn's attestation statement, keeping its authData."""
    obj = cbor.decode(response["attestationObject"])
    auth_data = obj["authData"]
    client_data_hash = sha256(response["clientDataJSON"])
    sig = device.private_key.sign(auth_data + client_data_hash, ec.ECDSA(hashes.SHA256()))
    if attestation == "packed-self":
        fmt, stmt = "packed", {"alg": -7, "sig": sig}
    elif attestation == "packed-x5c":
        fmt, stmt = "packed", {"alg": -7, "sig": sig, "x5c": [b"not a real certificate"]}
    elif attestation == "fido-u2f":
        fmt, stmt = "fido-u2f", {"sig": sig, "x5c": [b"not a real certificate"]}
    elif attestation == "bogus-format":
        fmt, stmt = "\u202ebogus\nformat", {}
    else:
        sys.exit(f"unknown attestation {attestation!r}")
    return cbor.encode({"fmt": fmt, "attStmt": stmt, "authData": auth_data})


def create(argv):
    state, rp_id, origin, challenge, user_id = argv[:5]
    attestation = argv[5] if len(argv) > 5 else "none"
    device = SoftWebauthnDevice()
    options = {"publicKey": {
        "challenge": unb64u(challenge),
        "rp": {"id": rp_id, "name": rp_id},
        "user": {"id": unb64u(user_id), "name": "synthetic-user", "displayName": "Synthetic User"},
        "pubKeyCredParams": [{"alg": -7, "type": "public-key"}],
        "attestation": "none",
    }}
    result = device.create(options, origin)
    response = result["response"]
    attestation_object = response["attestationObject"]
    if attestation != "none":
        attestation_object = rewrap(device, response, attestation)
    save(device, state)
    print(json.dumps({"id": b64u(result["rawId"]), "clientDataJSON": b64u(response["clientDataJSON"]),
                      "attestationObject": b64u(attestation_object)}))


def get(argv):
    state, rp_id, origin, challenge = argv[:4]
    rest = argv[4:]
    device = load(state)
    while rest:
        flag, value, rest = rest[0], rest[1], rest[2:]
        if flag == "--as-rp-id":
            device.rp_id = value
            rp_id = value
        elif flag == "--set-sign-count":
            device.sign_count = int(value)
        else:
            sys.exit(f"unknown option {flag}")
    result = device.get({"publicKey": {"challenge": unb64u(challenge), "rpId": rp_id}}, origin)
    response = result["response"]
    device.rp_id = load(state).rp_id  # the credential's own scope is unchanged
    save(device, state)
    print(json.dumps({"id": b64u(result["rawId"]), "clientDataJSON": b64u(response["clientDataJSON"]),
                      "authenticatorData": b64u(response["authenticatorData"]),
                      "signature": b64u(response["signature"]), "signCount": device.sign_count}))


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "create":
        create(sys.argv[2:])
    elif len(sys.argv) >= 6 and sys.argv[1] == "get":
        get(sys.argv[2:])
    else:
        sys.exit(__doc__)
