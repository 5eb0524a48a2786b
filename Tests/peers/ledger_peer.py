"""Checks Guichet's ledger with pymerkle, an RFC 9162-style Merkle tree this project does not write.

Input (JSON file): {"entries": [base64...], "root": hex, "size": n,
                    "proofs": [{"index": i, "proof": [hex...]}]}   (indexes 0-based)
Prints "OK: N proofs" and exits 0 when pymerkle computes the same root from the same entries,
produces the same inclusion paths, and accepts our proofs against our root; else exits 1.
"""
import base64
import json
import sys

from pymerkle import InmemoryTree, verify_inclusion
from pymerkle.proof import InclusionProof


def main(path):
    data = json.load(open(path))
    tree = InmemoryTree(algorithm="sha256")
    for e in data["entries"]:
        tree.append_entry(base64.b64decode(e))
    size = data["size"]
    root = tree.get_root(size)
    if root.hex() != data["root"]:
        print(f"root differs: pymerkle {root.hex()} ours {data['root']}")
        return 1
    checked = 0
    for item in data["proofs"]:
        index = item["index"] + 1  # pymerkle counts from 1
        theirs = tree.prove_inclusion(index, size)
        leaf = tree.get_leaf(index)
        ours = [bytes.fromhex(h) for h in item["proof"]]
        if [bytes.fromhex(h) if isinstance(h, str) else h for h in theirs.path[1:]] != ours:
            print(f"path of entry {item['index']} differs")
            return 1
        # Our proof, in pymerkle's form, against our root.
        proof = InclusionProof("sha256", True, size, index, theirs.rule, [leaf] + ours)
        verify_inclusion(leaf, bytes.fromhex(data["root"]), proof)
        checked += 1
    print(f"OK: {checked} proofs")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1]))
    except Exception as error:  # any refusal by pymerkle is a failure
        print(f"refused: {error}")
        sys.exit(1)
