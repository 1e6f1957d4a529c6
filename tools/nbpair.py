"""The paired notebooks of the book: ``book/<chapter>.md`` (MyST, what a person edits) -> ``book/<chapter>.ipynb``.

The ``.ipynb`` exists for nbval only: it is regenerated from the ``.md`` (jupytext), executed (nbclient, no
timing metadata) and stripped to TEXT outputs (images, widget views and widget state removed after execution;
cell ids derived from the source so a re-run changes only what the code prints). Execution counts stay: a fresh
kernel numbers the cells 1, 2, ... (nothing random), and nbval treats a code cell without one as never run.

Usage::

    python tools/nbpair.py list                    # the paired chapters (.md with a jupytext kernelspec header)
    python tools/nbpair.py refresh book/x.md ...   # regenerate, execute and strip each pair
    python tools/nbpair.py strip book/x.ipynb ...  # strip an executed notebook in place
"""
from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
PAIRING = "ipynb,md:myst"
#: cell metadata keys that carry no meaning for the book or nbval (timing, UI state)
VOLATILE_CELL_KEYS = frozenset({"execution", "ExecuteTime", "collapsed", "scrolled"})
#: notebook metadata kept in the pair; everything else (widget state, language_info) is dropped
KEPT_NB_KEYS = ("kernelspec", "jupytext")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def is_chapter(md: Path) -> bool:
    """A ``.md`` whose front matter is a jupytext header with a kernelspec, i.e. an executable chapter."""
    text = Path(md).read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return False
    end = text.find("\n---", 4)
    head = text[4:end] if end > 0 else ""
    return "\njupytext:" in "\n" + head and "\nkernelspec:" in "\n" + head


def chapters(book: Path = BOOK) -> list[Path]:
    return sorted(p for p in Path(book).glob("*.md") if is_chapter(p))


def pair_of(md: Path) -> Path:
    return Path(md).with_suffix(".ipynb")


def strip(nb):
    """Return a copy of an executed notebook with text outputs only (see the module docstring)."""
    nb = copy.deepcopy(nb)
    nb.metadata = type(nb.metadata)({k: nb.metadata[k] for k in KEPT_NB_KEYS if k in nb.metadata})
    seen: dict[str, int] = {}
    for cell in nb.cells:
        digest = hashlib.sha256((cell.cell_type + "\n" + cell.source).encode()).hexdigest()[:8]
        seen[digest] = seen.get(digest, 0) + 1
        cell["id"] = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            cell.pop("attachments", None)
            continue
        outputs = []
        for out in cell.outputs:
            if out.output_type in ("display_data", "execute_result"):
                data = out.get("data", {})
                widget = WIDGET_VIEW in data
                out["data"] = type(data)(
                    {k: v for k, v in data.items() if not k.startswith("image/") and k != WIDGET_VIEW}
                )
                if widget:  # the repr of a widget is its children's reprs (frame bytes included): drop it
                    out["data"].pop("text/plain", None)
                out["metadata"] = type(out.get("metadata", {}))()
            prev = outputs[-1] if outputs else None
            if (out.output_type == "stream" and prev is not None and prev.output_type == "stream"
                    and prev.name == out.name):  # how the kernel chunks a stream is not reproducible: one chunk
                prev.text += out.text
                continue
            outputs.append(out)
        cell.outputs = outputs
    return nb


def cell_signature(cell) -> tuple:
    """What must agree between a chapter and its pair: type, source and the metadata that matters."""
    meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in VOLATILE_CELL_KEYS}
    return (cell.get("cell_type"), cell.get("source"), meta)


def differences(md_nb, ipynb_nb) -> list[str]:
    """Human-readable differences between the cells of the ``.md`` notebook and of its pair (empty = in sync)."""
    a = [cell_signature(c) for c in md_nb.cells]
    b = [cell_signature(c) for c in ipynb_nb.cells]
    out = []
    if len(a) != len(b):
        out.append(f"{len(a)} cells in the .md, {len(b)} in the .ipynb")
    for k, (x, y) in enumerate(zip(a, b)):
        for what, u, v in zip(("cell type", "source", "metadata"), x, y):
            if u != v:
                first = (x[1].splitlines() or [""])[0][:60]
                out.append(f"cell {k} ({first!r}): {what} differs")
    ks_a = md_nb.metadata.get("kernelspec", {}).get("name")
    ks_b = ipynb_nb.metadata.get("kernelspec", {}).get("name")
    if ks_a != ks_b:
        out.append(f"kernelspec {ks_a!r} in the .md, {ks_b!r} in the .ipynb")
    return out


def refresh(md: Path, *, timeout: int = 600) -> Path:
    """Regenerate ``md``'s pair from it, execute it in the chapter's folder, strip it and write it."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    md = Path(md).resolve()
    nb = jupytext.read(md)
    nb.metadata.setdefault("jupytext", {})["formats"] = PAIRING
    nb.metadata["jupytext"].pop("text_representation", None)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            store_widget_state=True, resources={"metadata": {"path": str(md.parent)}})
    client.execute()
    out = pair_of(md)
    nbformat.write(strip(nb), out)
    return out


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("list", "refresh", "strip"):
        print(__doc__)
        return 2
    cmd, args = argv[0], [Path(a) for a in argv[1:]]
    if cmd == "list":
        print(" ".join(str(p.relative_to(ROOT)) for p in chapters()))
        return 0
    if cmd == "refresh":
        for md in args:
            if md.suffix != ".md" or not is_chapter(md):
                print(f"nbpair: {md} is not a chapter (.md with a jupytext kernelspec header)")
                return 2
            print(f"nbpair: {md} -> {pair_of(md)} (execute, strip)", flush=True)
            refresh(md)
        return 0
    import nbformat

    for path in args:
        nbformat.write(strip(nbformat.read(path, as_version=4)), path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
