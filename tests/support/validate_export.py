#!/usr/bin/env python3
"""Checks a privacyd export.json against its JSON Schema, independently of privacyd, with
Python's `jsonschema` package (pip install jsonschema).

    validate_export.py SCHEMA_JSON EXPORT_JSON

The file is parsed strictly first: a key that appears twice in one object is an error
(Python's json module would keep the last one silently). Exit status 0 when the file
parses and matches the schema; 1, with the reason on stderr, otherwise.
"""
import json
import sys

import jsonschema


def no_duplicate_keys(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def main(schema_path, export_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    try:
        with open(export_path, encoding="utf-8") as f:
            document = json.load(f, object_pairs_hook=no_duplicate_keys)
    except ValueError as e:
        print(f"export.json does not parse strictly: {e}", file=sys.stderr)
        return 1
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    for error in errors[:20]:
        print(f"{'/'.join(map(str, error.path)) or '(root)'}: {error.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
