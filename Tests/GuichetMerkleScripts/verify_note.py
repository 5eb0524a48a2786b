#!/usr/bin/env python3
"""Independent check of GuichetMerkle's output, run by IndependentVerificationTests.

Reads a JSON file (path in argv[1]) written by the Swift test:

    {
      "note": signed checkpoint note (C2SP signed-note + tlog-checkpoint),
      "name": key name,
      "ed25519_public_key": base64, "ed25519_key_id": 8 hex digits (Swift's claim),
      "mldsa65_public_key": base64 or null, "mldsa65_key_id": 8 hex digits or null,
      "entries": [hex leaf entries] (the whole log),
      "inclusion": [{"index", "size", "path": [hex]}],
      "consistency": [{"old", "new", "path": [hex]}]
    }

Everything is recomputed here from the specifications, with the `cryptography` package for
signatures and hashlib for SHA-256, sharing no code with the Swift implementation:
  - the note is split and its signature lines parsed (C2SP signed-note);
  - key IDs are SHA-256(name || 0x0A || type || public key)[:4], Ed25519 type 0x01, and
    Guichet's ML-DSA-65 type 0xff || "guichet.mldsa65.v1";
  - the Ed25519 (RFC 8032) and ML-DSA-65 (FIPS 204, empty context) signatures over the
    note text are verified;
  - the checkpoint root is recomputed from the entries (RFC 9162 section 2.1.1, recursive);
  - inclusion (section 2.1.3.2) and consistency (section 2.1.4.2) proofs are verified.

Prints "OK: <n> checks" and exits 0, or prints "FAIL: <reason>" and exits 1.
"""

import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519_TYPE = b"\x01"
MLDSA65_TYPE = b"\xff" + b"guichet.mldsa65.v1"


class Failure(Exception):
    pass


def require(condition, reason):
    if not condition:
        raise Failure(reason)


def key_id(name, sig_type, public_key):
    return hashlib.sha256(name.encode() + b"\n" + sig_type + public_key).digest()[:4]


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """Merkle Tree Hash of a list of leaf hashes, RFC 9162 section 2.1.1."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(first, second, path, first_hash, second_hash):
    """RFC 9162 section 2.1.4.2, for 0 < first < second."""
    if not path:
        return False
    if first & (first - 1) == 0:
        path = [first_hash] + path
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == first_hash and sr == second_hash


def check(data):
    checks = 0
    note = data["note"]
    name = data["name"]

    # C2SP signed-note: text, a blank line (the last one), then signature lines.
    split = note.rfind("\n\n")
    require(split >= 0, "no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    require(block.endswith("\n"), "signature block does not end in a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        require(line.startswith("\u2014 "), "signature line without em dash")
        line_name, _, encoded = line[2:].partition(" ")
        raw = base64.b64decode(encoded, validate=True)
        require(len(raw) > 4, "signature too short")
        signatures.append((line_name, raw[:4], raw[4:]))

    keys = [("Ed25519", ED25519_TYPE, data["ed25519_public_key"], data["ed25519_key_id"])]
    if data.get("mldsa65_public_key"):
        keys.append(("ML-DSA-65", MLDSA65_TYPE, data["mldsa65_public_key"], data["mldsa65_key_id"]))
    for label, sig_type, public_b64, claimed_id in keys:
        public_key = base64.b64decode(public_b64, validate=True)
        expected_id = key_id(name, sig_type, public_key)
        require(expected_id.hex() == claimed_id, f"{label} key ID {claimed_id} != {expected_id.hex()}")
        matching = [sig for (n, kid, sig) in signatures if n == name and kid == expected_id]
        require(len(matching) == 1, f"expected one {label} signature line, found {len(matching)}")
        try:
            if label == "Ed25519":
                Ed25519PublicKey.from_public_bytes(public_key).verify(matching[0], text.encode())
            else:
                from cryptography.hazmat.primitives.asymmetric.mldsa import MLDSA65PublicKey

                MLDSA65PublicKey.from_public_bytes(public_key).verify(matching[0], text.encode())
        except InvalidSignature:
            raise Failure(f"{label} signature does not verify")
        checks += 2

    # C2SP tlog-checkpoint body.
    lines = text[:-1].split("\n")
    require(len(lines) >= 3, "checkpoint has fewer than three lines")
    size = int(lines[1])
    require(str(size) == lines[1], "tree size is not canonical decimal")
    root = base64.b64decode(lines[2], validate=True)
    leaves = [leaf_hash(binascii.unhexlify(e)) for e in data["entries"]]
    require(size == len(leaves), "checkpoint size differs from the entries")
    require(mth(leaves) == root, "checkpoint root differs from the recomputed root")
    checks += 1

    for proof in data["inclusion"]:
        index, proof_size = proof["index"], proof["size"]
        path = [binascii.unhexlify(h) for h in proof["path"]]
        expected_root = mth(leaves[:proof_size])
        require(
            verify_inclusion(index, proof_size, leaves[index], path, expected_root),
            f"inclusion proof of {index} in {proof_size} does not verify",
        )
        checks += 1

    for proof in data["consistency"]:
        old, new = proof["old"], proof["new"]
        path = [binascii.unhexlify(h) for h in proof["path"]]
        require(
            verify_consistency(old, new, path, mth(leaves[:old]), mth(leaves[:new])),
            f"consistency proof {old} to {new} does not verify",
        )
        checks += 1
    return checks


def main():
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            data = json.load(f)
        checks = check(data)
    except Failure as failure:
        print(f"FAIL: {failure}")
        return 1
    except Exception as error:  # malformed input counts as failure too
        print(f"FAIL: {type(error).__name__}: {error}")
        return 1
    print(f"OK: {checks} checks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
