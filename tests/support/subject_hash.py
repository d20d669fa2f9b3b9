#!/usr/bin/env python3
"""Recomputes the keyed subject hash in a privacyd erasure receipt (`email_hmac_sha256`), for
whoever holds privacyd's secret key file, with Python's `cryptography` package.

    subject_hash.py SECRET_KEY_FILE HMAC_KEY_ID EMAIL

The HMAC key is HKDF-SHA256 (RFC 5869; no salt, info "privacyd receipt subject hmac-sha256
v1", 32 bytes) of the secret key whose id is HMAC_KEY_ID (the receipt's
`subject.hmac_key_id`; a key's id is the hex of the first 8 bytes of
SHA-256("privacyd secret key id v1" || 0x00 || key)). Prints the hex HMAC-SHA256 of the
lower-cased address; exits 1 when the file does not hold that key.
"""
import base64
import hashlib
import hmac
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def main(key_file, key_id, email):
    with open(key_file) as f:
        lines = [l.strip() for l in f if l.strip() and not l.strip().startswith("#")]
    for line in lines:
        key = base64.b64decode(line)
        if hashlib.sha256(b"privacyd secret key id v1\0" + key).hexdigest()[:16] != key_id:
            continue
        hmac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                        info=b"privacyd receipt subject hmac-sha256 v1").derive(key)
        print(hmac.new(hmac_key, email.lower().encode(), hashlib.sha256).hexdigest())
        return
    sys.exit(f"{key_file} does not hold key {key_id}")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
