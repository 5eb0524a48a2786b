#!/usr/bin/env python3
"""TOTP peer for the GuichetMFA tests, backed by pyotp (an implementation we do not write).

  totp_peer.py code SECRET_BASE32 ALGORITHM DIGITS PERIOD UNIX_TIME...
      prints pyotp's code at each time, one per line
  totp_peer.py parse URI
      prints pyotp.parse_uri(URI) as JSON (secret, name, issuer, digits, period, algorithm)
"""
import hashlib
import json
import sys

try:
    import pyotp
except ImportError:
    sys.exit("pyotp is not installed: python3 -m venv .venv && .venv/bin/pip install -r Tests/peers/requirements.txt")

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}


def main(argv):
    if len(argv) >= 7 and argv[1] == "code":
        secret, algorithm, digits, period = argv[2], argv[3], int(argv[4]), int(argv[5])
        totp = pyotp.TOTP(secret, digits=digits, digest=DIGESTS[algorithm], interval=period)
        for t in argv[6:]:
            print(totp.at(int(t)))
    elif len(argv) == 3 and argv[1] == "parse":
        totp = pyotp.parse_uri(argv[2])
        algorithm = next((k for k, v in DIGESTS.items() if totp.digest().name == v().name), None)
        print(json.dumps({"secret": totp.secret, "name": totp.name, "issuer": totp.issuer,
                          "digits": totp.digits, "period": totp.interval, "algorithm": algorithm}))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
