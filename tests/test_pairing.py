"""Each chapter is one source: ``book/<chapter>.md``. Its pair ``book/<chapter>.ipynb`` (for nbval) must hold the
same cells and text outputs only. Refresh a stale pair with ``make nb NB=book/<chapter>.md``.

The second half tests ``tools/nbpair.py`` itself on small hand-built notebooks.
"""
from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
# FIRESETS_BOOK points the pairing checks at another book folder (e.g. a scratch book)
BOOK = Path(os.environ.get("FIRESETS_BOOK", ROOT / "book")).resolve()
MAX_PAIR_BYTES = 400_000

_spec = importlib.util.spec_from_file_location("nbpair", ROOT / "tools" / "nbpair.py")
nbpair = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbpair)

CHAPTERS = nbpair.chapters(BOOK)


def _refresh_hint(md: Path) -> str:
    return f"refresh it with `make nb NB=book/{md.name}`"


def test_the_book_has_chapters():
    assert CHAPTERS, "no book/*.md with a jupytext kernelspec header"


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_declares_the_pairing(md):
    import jupytext

    formats = jupytext.read(md).metadata.get("jupytext", {}).get("formats")
    assert formats == nbpair.PAIRING, (
        f"{md.name}: the jupytext header should say `formats: {nbpair.PAIRING}` (it says {formats!r})")


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_pair_has_the_cells_of_the_md(md):
    import jupytext

    ipynb = nbpair.pair_of(md)
    assert ipynb.exists(), f"{ipynb.name} is missing: {_refresh_hint(md)}"
    diffs = nbpair.differences(jupytext.read(md), nbformat.read(ipynb, as_version=4))
    if diffs:
        pytest.fail(f"{ipynb.name} is out of date with {md.name} ({_refresh_hint(md)}):\n  "
                    + "\n  ".join(diffs[:10]), pytrace=False)


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_pair_is_executed_and_stripped(md):
    ipynb = nbpair.pair_of(md)
    if not ipynb.exists():
        pytest.fail(f"{ipynb.name} is missing: {_refresh_hint(md)}", pytrace=False)
    nb = nbformat.read(ipynb, as_version=4)
    code = [(k, c) for k, c in enumerate(nb.cells) if c.cell_type == "code"]
    problems = []
    if code and not any(c.outputs for _, c in code):
        problems.append("no code cell has an output (never executed?)")
    if "widgets" in nb.metadata:
        problems.append("notebook metadata holds widget state")
    # cells tagged skip-execution (the live panels, run by hand in `make lab`) are never executed
    run = [c for _, c in code if "skip-execution" not in c.metadata.get("tags", [])]
    counts = [c.execution_count for c in run]
    if counts != list(range(1, len(run) + 1)):
        problems.append(f"execution counts {counts[:12]}... are not 1, 2, ... (not one fresh top-to-bottom run)")
    for k, c in code:
        if "execution" in c.metadata:
            problems.append(f"cell {k}: timing metadata")
        for out in c.outputs:
            kinds = [m for m in out.get("data", {}) if m.startswith("image/") or m == nbpair.WIDGET_VIEW]
            if kinds:
                problems.append(f"cell {k}: output holds {', '.join(kinds)}")
    if problems:
        pytest.fail(f"{ipynb.name} is not a stripped pair ({_refresh_hint(md)}):\n  "
                    + "\n  ".join(problems[:10]), pytrace=False)


def test_every_notebook_in_book_is_a_pair():
    orphans = [p.name for p in BOOK.glob("*.ipynb") if p.with_suffix(".md") not in CHAPTERS]
    assert not orphans, f"notebooks with no chapter .md (delete them, or write the .md): {orphans}"


def test_pairs_are_light():
    sizes = {p.name: p.stat().st_size for p in (nbpair.pair_of(m) for m in CHAPTERS) if p.exists()}
    total = sum(sizes.values())
    assert total < MAX_PAIR_BYTES, (f"the paired notebooks weigh {total} bytes (limit {MAX_PAIR_BYTES}): "
                                    f"{sizes}; run `make nb` to strip them")


# --- tools/nbpair.py on hand-built notebooks (expected values written out by hand) ---------------------------

PNG = "iVBORw0KGgo="


def _executed_notebook():
    nb = new_notebook(metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "jupytext": {"formats": "ipynb,md:myst"},
        "language_info": {"name": "python", "version": "3.11.2"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}},
    })
    nb.cells = [
        new_markdown_cell("# Title", attachments={"a.png": {"image/png": PNG}}),
        new_code_cell("print(1)", execution_count=3,
                      metadata={"tags": ["hide-input"], "execution": {"iopub.status.idle": "2026-12-01T00:00:00Z"}},
                      outputs=[new_output("stream", name="stdout", text="1\n")]),
        new_code_cell("fig", execution_count=4, metadata={"mystnb": {"figure": {"name": "fig-a"}}},
                      outputs=[new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"},
                                          metadata={"image/png": {"width": 10}}),
                               new_output("execute_result", execution_count=4,
                                          data={"text/plain": "2", "text/html": "<b>2</b>"})]),
        new_code_cell("panel", execution_count=5, metadata={"tags": ["nbval-ignore-output"]},
                      outputs=[new_output("display_data", data={
                          "text/plain": "VBox(children=(" + "x" * 5000 + "))",
                          "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2}})]),
        new_code_cell("print(1)", execution_count=6, outputs=[]),
    ]
    return nb


def test_strip_keeps_text_and_drops_the_rest():
    src = _executed_notebook()
    nb = nbpair.strip(src)
    assert set(nb.metadata) == {"kernelspec", "jupytext"}
    md, c1, c2, c3, c4 = nb.cells
    assert "attachments" not in md
    assert c1.execution_count == 3 and c1.metadata == {"tags": ["hide-input"]}
    assert c1.outputs == [new_output("stream", name="stdout", text="1\n")]
    assert c2.outputs[0]["data"] == {"text/plain": "<Figure>"} and c2.outputs[0]["metadata"] == {}
    assert c2.outputs[1]["data"] == {"text/plain": "2", "text/html": "<b>2</b>"}
    assert c2.outputs[1]["execution_count"] == 4
    assert c3.outputs[0]["data"] == {}
    assert c2.metadata == {"mystnb": {"figure": {"name": "fig-a"}}}
    # ids derive from the source: equal sources get distinct ids, and a re-strip changes nothing
    assert len({c["id"] for c in nb.cells}) == 5
    assert c4["id"] == c1["id"] + "-2"
    assert nbpair.strip(nb) == nb
    # the input notebook is not modified
    assert src.cells[2].outputs[0]["data"]["image/png"] == PNG and "widgets" in src.metadata


def test_stripped_notebook_is_valid_nbformat():
    nbformat.validate(nbpair.strip(_executed_notebook()))


def test_differences_names_what_changed():
    a = _executed_notebook()
    assert nbpair.differences(a, nbpair.strip(a)) == []  # outputs, counts and timing do not count
    b = nbpair.strip(a)
    b.cells[1].source = "print(2)"
    b.cells[3].metadata = {}
    d = nbpair.differences(a, b)
    assert d == ["cell 1 ('print(1)'): source differs", "cell 3 ('panel'): metadata differs"]
    c = nbpair.strip(a)
    c.cells.append(new_markdown_cell("more"))
    assert nbpair.differences(a, c) == ["5 cells in the .md, 6 in the .ipynb"]
    e = nbpair.strip(a)
    e.cells[0] = new_code_cell("# Title")
    assert nbpair.differences(a, e) == ["cell 0 ('# Title'): cell type differs"]


def test_chapter_detection(tmp_path):
    (tmp_path / "a.md").write_text(
        "---\njupytext:\n  formats: ipynb,md:myst\nkernelspec:\n  name: python3\n---\n# A\n")
    (tmp_path / "b.md").write_text("# Plain page with $x$\n")
    (tmp_path / "c.md").write_text("---\ntitle: front matter, no kernel\n---\n# C\n")
    assert nbpair.chapters(tmp_path) == [tmp_path / "a.md"]


def test_md_roundtrip_through_pair_is_in_sync(tmp_path):
    """A pair written the way `make nb` writes it (before execution) has no differences from its .md."""
    import jupytext

    md = tmp_path / "x.md"
    md.write_text("---\njupytext:\n  formats: ipynb,md:myst\n  text_representation:\n    extension: .md\n"
                  "    format_name: myst\nkernelspec:\n  display_name: Python 3\n  language: python\n"
                  "  name: python3\n---\n\n# X\n\n```{code-cell} ipython3\n:tags: [hide-input]\n\nx = 1\n```\n")
    nb = jupytext.read(md)
    out = tmp_path / "x.ipynb"
    nbformat.write(nbpair.strip(nb), out)
    assert nbpair.differences(jupytext.read(md), nbformat.read(out, as_version=4)) == []
    assert json.loads(out.read_text())["cells"][1]["metadata"] == {"tags": ["hide-input"]}


def test_strip_joins_consecutive_chunks_of_one_stream():
    # the kernel may split one cell's stdout into chunks anywhere: the pair keeps one chunk per run of a stream
    nb = new_notebook()
    nb.cells = [new_code_cell("x", execution_count=1, outputs=[
        new_output("stream", name="stdout", text="a\n"), new_output("stream", name="stdout", text="b\n"),
        new_output("stream", name="stderr", text="w\n"), new_output("stream", name="stdout", text="c\n"),
        new_output("execute_result", execution_count=1, data={"text/plain": "1"}),
        new_output("stream", name="stdout", text="d\n")])]
    out = nbpair.strip(nb).cells[0].outputs
    assert [(o.output_type, o.get("name"), o.get("text")) for o in out] == [
        ("stream", "stdout", "a\nb\n"), ("stream", "stderr", "w\n"), ("stream", "stdout", "c\n"),
        ("execute_result", None, None), ("stream", "stdout", "d\n")]
    assert nb.cells[0].outputs[0].text == "a\n"  # the input is not modified
