#!/usr/bin/env python3
"""Release artifacts in the layout the Terraform and OpenTofu registries ingest.

  dist.py version
      print the workspace version (root Cargo.toml, [workspace.package]).
  dist.py package [--out DIR] [--os OS] [--arch ARCH] [--provider BIN] [--jitc BIN]
      DIR/terraform-provider-jit_VERSION_OS_ARCH.zip: exactly one file,
      terraform-provider-jit_vVERSION (.exe on windows), no directory entries;
      DIR/jitc_VERSION_OS_ARCH.tar.gz: jitc (.exe on windows).
      Defaults: the host's OS and ARCH, the target/dist binaries (`cargo build --profile dist`).
  dist.py finish [--out DIR]
      DIR/terraform-provider-jit_VERSION_manifest.json (a copy of
      terraform-registry-manifest.json); DIR/terraform-provider-jit_VERSION_SHA256SUMS:
      "HASH  FILENAME" for every provider zip and the manifest; when
      GPG_FINGERPRINT names a key, DIR/..._SHA256SUMS.sig, a binary detached
      signature by that key; and DIR/jitc_VERSION_SHA256SUMS for the jitc archives.

Archives are reproducible: fixed timestamps (SOURCE_DATE_EPOCH, else
1980-01-01), mode 0755, no owner names. Only the standard library is used,
so the same script runs on the release runners (Linux, macOS, Windows).
"""
import argparse
import gzip
import hashlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "terraform-provider-jit"
OSES = ("linux", "darwin", "windows", "freebsd")
ARCHES = ("amd64", "arm64", "386", "arm")


def fail(msg):
    print(f"dist: {msg}", file=sys.stderr)
    sys.exit(1)


def version():
    with open(ROOT / "Cargo.toml", "rb") as f:
        v = tomllib.load(f)["workspace"]["package"]["version"]
    if not v or any(c.isspace() or c == "/" for c in v):
        fail(f"bad workspace version {v!r}")
    return v


def host():
    system = platform.system().lower()
    osname = {"linux": "linux", "darwin": "darwin", "windows": "windows", "freebsd": "freebsd"}.get(system)
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "i686": "386"}.get(machine)
    if not osname or not arch:
        fail(f"unknown host {system}/{machine}: pass --os and --arch")
    return osname, arch


def epoch():
    # Zip timestamps start in 1980; tar's can be 0 but are kept equal.
    return max(int(os.environ.get("SOURCE_DATE_EPOCH", "315532800")), 315532800)


def zip_one(path, inner, data):
    info = zipfile.ZipInfo(inner, date_time=time.gmtime(epoch())[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3  # Unix, so the mode below is honoured.
    info.external_attr = (0o100755 & 0xFFFF) << 16
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(info, data)


def tar_one(path, inner, data):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(inner)
        info.size, info.mode, info.mtime = len(data), 0o755, epoch()
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        t.addfile(info, io.BytesIO(data))
    with open(path, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=epoch(), filename="") as gz:
        gz.write(raw.getvalue())


def read_binary(p):
    p = Path(p)
    if not p.is_file():
        fail(f"no binary at {p} (build it first: cargo build --profile dist -p {NAME} -p jitc)")
    return p.read_bytes()


def package(a):
    v = version()
    hos, harch = host() if not (a.os and a.arch) else (a.os, a.arch)
    osname, arch = a.os or hos, a.arch or harch
    if osname not in OSES or arch not in ARCHES:
        fail(f"unknown target {osname}/{arch}")
    exe = ".exe" if osname == "windows" else ""
    provider = a.provider or ROOT / "target/dist" / f"{NAME}{exe}"
    jitc = a.jitc or ROOT / "target/dist" / f"jitc{exe}"
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    z = out / f"{NAME}_{v}_{osname}_{arch}.zip"
    zip_one(z, f"{NAME}_v{v}{exe}", read_binary(provider))
    t = out / f"jitc_{v}_{osname}_{arch}.tar.gz"
    tar_one(t, f"jitc{exe}", read_binary(jitc))
    for p in (z, t):
        print(f"{p}  {p.stat().st_size} bytes")


def sums(paths):
    return "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in paths)


def finish(a):
    v = version()
    out = Path(a.out)
    zips = sorted(out.glob(f"{NAME}_{v}_*_*.zip"))
    if not zips:
        fail(f"no {NAME}_{v}_*.zip in {out}: run `dist.py package` first")
    manifest = out / f"{NAME}_{v}_manifest.json"
    manifest.write_bytes((ROOT / "terraform-registry-manifest.json").read_bytes())
    shasums = out / f"{NAME}_{v}_SHA256SUMS"
    shasums.write_text(sums(zips + [manifest]), encoding="utf-8", newline="\n")
    written = [manifest, shasums]
    tars = sorted(out.glob(f"jitc_{v}_*_*.tar.gz"))
    if tars:
        jsums = out / f"jitc_{v}_SHA256SUMS"
        jsums.write_text(sums(tars), encoding="utf-8", newline="\n")
        written.append(jsums)
    fpr = os.environ.get("GPG_FINGERPRINT", "").strip()
    if fpr:
        sig = out / f"{shasums.name}.sig"
        cmd = ["gpg", "--batch", "--yes", "--local-user", fpr, "--detach-sign", "--output", str(sig), str(shasums)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            fail(f"gpg could not sign with {fpr}: {r.stderr.strip()}")
        if sig.read_bytes().startswith(b"-----BEGIN"):
            fail("gpg wrote an armored signature; the registries want a binary one (check `armor` in gpg.conf)")
        written.append(sig)
    for p in written:
        print(f"{p}  {p.stat().st_size} bytes")


def main():
    ap = argparse.ArgumentParser(prog="dist.py", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("version")
    p = sub.add_parser("package")
    p.add_argument("--out", default="dist")
    p.add_argument("--os")
    p.add_argument("--arch")
    p.add_argument("--provider")
    p.add_argument("--jitc")
    f = sub.add_parser("finish")
    f.add_argument("--out", default="dist")
    a = ap.parse_args()
    if a.cmd == "version":
        print(version())
    elif a.cmd == "package":
        package(a)
    else:
        finish(a)


if __name__ == "__main__":
    main()
