#!/usr/bin/env python3
"""The `h1:` hash Terraform records for a provider package, computed here
from the zip itself (Go's golang.org/x/mod/sumdb/dirhash "Hash1" over the
archive's entries, as Terraform's PackageHashV1 does for a zip).

usage: zip_hash1.py ZIP
stdout: {"h1": "h1:...", "entries": [{"name", "size", "mode", "is_dir"}]}

Hash1: for every file, in byte order of its name, a line
"<hex sha256 of its content>  <name>\\n"; the hash is the SHA-256 of those
lines, base64 (standard alphabet, padded), after "h1:". Names with a
newline are refused, as Go does.
"""
import base64
import hashlib
import json
import sys
import zipfile


def main():
    with zipfile.ZipFile(sys.argv[1]) as z:
        infos = z.infolist()
        files = sorted((i for i in infos if not i.is_dir()), key=lambda i: i.filename.encode())
        summary = hashlib.sha256()
        for i in files:
            if "\n" in i.filename:
                sys.exit(f"newline in file name {i.filename!r}")
            digest = hashlib.sha256(z.read(i)).hexdigest()
            summary.update(f"{digest}  {i.filename}\n".encode())
        entries = [
            {"name": i.filename, "size": i.file_size, "mode": (i.external_attr >> 16) & 0o7777, "is_dir": i.is_dir()}
            for i in infos
        ]
    print(json.dumps({"h1": "h1:" + base64.b64encode(summary.digest()).decode(), "entries": entries}))


if __name__ == "__main__":
    main()
