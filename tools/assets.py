"""Fetch the book's third-party JavaScript into ``_assets/vendor/`` and check it against ``_assets/vendor.lock``.

Each package is downloaded from the npm registry with ``npm pack <name@version>``; the tarball's sha256 and the
sha256 of every extracted file must match the lock, or nothing is written. Files already present with the right
checksums are left alone, so ``make assets`` is a no-op on a built checkout and needs no network.

Usage: ``python tools/assets.py [--check]`` (``--check``: only verify, never download; exit 1 when missing/bad).
"""
from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "_assets" / "vendor.lock"
VENDOR = ROOT / "_assets" / "vendor"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_lock(path: Path = LOCK) -> dict[str, dict]:
    """``{package: {"sha256": ..., "files": [(dest, member, sha256), ...]}}`` in file order."""
    pkgs: dict[str, dict] = {}
    current = None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, *rest = line.split()
        if kind == "package" and len(rest) == 2:
            current = rest[0]
            pkgs[current] = {"sha256": rest[1], "files": []}
        elif kind == "file" and len(rest) == 3 and current is not None:
            pkgs[current]["files"].append(tuple(rest))
        else:
            raise ValueError(f"{path}:{n}: cannot parse {line!r}")
    return pkgs


def missing(pkg: dict, vendor: Path = VENDOR) -> list[str]:
    """Destinations of ``pkg`` that are absent or whose checksum differs."""
    out = []
    for dest, _member, digest in pkg["files"]:
        p = vendor / dest
        if not p.is_file() or sha256(p.read_bytes()) != digest:
            out.append(dest)
    return out


def fetch(name: str, pkg: dict, vendor: Path = VENDOR) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        try:
            res = subprocess.run(["npm", "pack", "--silent", name, "--pack-destination", tmp],
                                 capture_output=True, text=True)
        except FileNotFoundError:
            raise SystemExit(f"assets: {name} is missing from _assets/vendor/ and npm is not installed "
                             "(Debian: apt-get install npm; .ci/run does this)") from None
        if res.returncode != 0:
            raise SystemExit(f"npm pack {name} failed:\n{res.stderr}")
        tgz = next(Path(tmp).glob("*.tgz"))
        blob = tgz.read_bytes()
    if sha256(blob) != pkg["sha256"]:
        raise SystemExit(f"{name}: tarball sha256 {sha256(blob)} != {pkg['sha256']} in {LOCK.name}")
    contents = {}
    with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as tar:
        for dest, member, digest in pkg["files"]:
            data = tar.extractfile(member).read()
            if sha256(data) != digest:
                raise SystemExit(f"{name}: {member} sha256 {sha256(data)} != {digest}")
            contents[dest] = data
    for dest, data in contents.items():
        p = vendor / dest
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    print(f"assets: {name} -> {vendor.relative_to(ROOT)} ({len(contents)} files, checksums verified)")


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    bad = 0
    for name, pkg in read_lock().items():
        todo = missing(pkg)
        if not todo:
            continue
        if check_only:
            print(f"assets: {name}: missing or changed: {', '.join(todo)} (run `make assets`)")
            bad = 1
        else:
            fetch(name, pkg)
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
