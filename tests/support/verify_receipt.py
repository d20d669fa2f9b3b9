#!/usr/bin/env python3
"""Verifies a privacyd erasure receipt independently of privacyd, with Python's
`cryptography` package (pip install cryptography).

    verify_receipt.py RECEIPT_JSON SIGNATURE_B64 KEYS_JSON

RECEIPT_JSON is the receipt exactly as GetErasureReceipt returned it (`receipt_json`, saved
byte for byte), SIGNATURE_B64 its `signature`, and KEYS_JSON the public keys the auditor
pinned from GET /.well-known/privacyd/receipt-keys. The signature must be Ed25519 by the
pinned key the receipt names (`signing_key_id`) over the file's exact bytes.

Exit status: 0 valid and issued by the job that completed the erasure; 1 not valid (changed
bytes, unknown key, bad signature); 3 valid, but issued later, on a read
(`issued_at_completion` false): not the receipt written at completion, which may have been
deleted. One line of JSON on stdout says which.
"""
import base64
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def verdict(code, **fields):
    print(json.dumps(fields, sort_keys=True))
    sys.exit(code)


def main(receipt_path, signature_b64, keys_path):
    with open(receipt_path, "rb") as f:
        receipt_bytes = f.read()
    with open(keys_path, "rb") as f:
        pinned = {k["key_id"]: k for k in json.load(f)["keys"]}
    try:
        receipt = json.loads(receipt_bytes)
        key_id = receipt["signing_key_id"]
    except (ValueError, KeyError, TypeError):
        verdict(1, valid=False, reason="not a signed privacyd receipt")
    key = pinned.get(key_id)
    if key is None or key.get("algorithm") != "ed25519":
        verdict(1, valid=False, reason="signed by a key that is not pinned", key_id=key_id)
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    try:
        public_key.verify(base64.b64decode(signature_b64), receipt_bytes)
    except (InvalidSignature, ValueError):
        verdict(1, valid=False, reason="the signature does not match the receipt's bytes", key_id=key_id)
    if receipt.get("issued_at_completion") is not True:
        verdict(3, valid=True, reason="issued on a read, not at completion", key_id=key_id,
                completed=receipt.get("completed"), issued=receipt.get("issued"))
    verdict(0, valid=True, key_id=key_id, completed=receipt.get("completed"), issued=receipt.get("issued"),
            audit_chain_head=receipt["audit_chain"]["head"])


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
