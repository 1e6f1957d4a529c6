"""tools/assets.py: the lock file of the book's third-party JavaScript, and the check of what is on disk."""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("assets", ROOT / "tools" / "assets.py")
assets = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(assets)


def test_the_lock_pins_mathjax_3_and_the_html_manager():
    pkgs = assets.read_lock()
    assert set(pkgs) == {"mathjax@3.2.2", "@jupyter-widgets/html-manager@1.0.15"}
    dests = {d for p in pkgs.values() for d, _, _ in p["files"]}
    assert {"mathjax/tex-svg-full.js", "widgets/embed.js"} <= dests
    for p in pkgs.values():
        assert len(p["sha256"]) == 64 and all(len(h) == 64 for _, _, h in p["files"])


def test_read_lock_and_missing(tmp_path):
    good, bad = b"console.log(1)\n", b"tampered\n"
    lock = tmp_path / "vendor.lock"
    lock.write_text("# comment\n\npackage x@1.0.0 " + "0" * 64 + "\n"
                    f"file x/a.js package/a.js {hashlib.sha256(good).hexdigest()}\n"
                    f"file x/b.js package/b.js {hashlib.sha256(good).hexdigest()}\n"
                    f"file x/c.js package/c.js {hashlib.sha256(good).hexdigest()}\n")
    pkgs = assets.read_lock(lock)
    assert list(pkgs) == ["x@1.0.0"]
    assert pkgs["x@1.0.0"]["files"][0] == ("x/a.js", "package/a.js", hashlib.sha256(good).hexdigest())
    vendor = tmp_path / "vendor"
    (vendor / "x").mkdir(parents=True)
    (vendor / "x" / "a.js").write_bytes(good)
    (vendor / "x" / "b.js").write_bytes(bad)
    assert assets.missing(pkgs["x@1.0.0"], vendor) == ["x/b.js", "x/c.js"]


def test_read_lock_rejects_a_file_before_its_package(tmp_path):
    lock = tmp_path / "vendor.lock"
    lock.write_text("file x/a.js package/a.js " + "0" * 64 + "\n")
    with pytest.raises(ValueError, match="cannot parse"):
        assets.read_lock(lock)
