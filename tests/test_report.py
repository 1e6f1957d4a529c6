"""The reproduction report cannot go stale: every verdict a chapter glues (``glue("v-...", ...)``) is pasted by
``book/reproduction_report.md`` from that chapter, and the report pastes nothing no chapter glues.

The check is a small parser of the MyST sources (no build needed): code cells of ``book/*.md`` for the glue
calls, the report's ``{glue:text}`doc.md::key:fmt``` roles (and the other glue roles and directives) for the
pasted keys. It is run on synthetic chapter/report pairs first, to show that it fails when it must.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
REPORT = "reproduction_report.md"

_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
_GLUE_CALL = re.compile(r"(?<![\w.])(?:myst_nb\.)?glue\(\s*([^,)]*)")
_LITERAL = re.compile(r"""^(?P<q>["'])(?P<key>[^"']+)(?P=q)$""")
# {glue}`doc::key`, {glue:text}`doc::key:fmt`, {glue:any}..., and ```{glue} doc::key / :::{glue} doc::key
_PASTE_ROLE = re.compile(r"\{glue(:(?:any|text|md|figure|math))?\}`([^`]+)`")
_PASTE_DIRECTIVE = re.compile(r"^(?:```|:::)\{glue(?::(?:any|text|md|figure|math))?\}\s+(\S+)", re.M)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.M)
_LINK = re.compile(r"\]\(([\w\-]+)\.md#([\w\-]+)\)")


def glued_keys(md_text: str) -> tuple[set, list]:
    """Verdict keys (``v-...``) glued by the code cells of a chapter, and the glue calls whose key is not a
    string literal (those cannot be checked, so they count as errors)."""
    keys, bad = set(), []
    for cell in _CELL.findall(md_text):
        for arg in _GLUE_CALL.findall(cell):
            m = _LITERAL.match(arg.strip())
            if m is None:
                bad.append(arg.strip())
            elif m["key"].startswith("v-"):
                keys.add(m["key"])
    return keys, bad


def pasted_keys(md_text: str) -> list:
    """``(doc, key)`` pairs pasted by a page; ``doc`` is the chapter file stem, '' for a same-page paste."""
    out = []
    items = [(m.start(), m[1] or "", m[2]) for m in _PASTE_ROLE.finditer(md_text)]
    items += [(m.start(), "", m[1]) for m in _PASTE_DIRECTIVE.finditer(md_text)]
    for _, role, text in sorted(items):
        if role == ":text" and ":" in text:  # as myst-nb reads it: doc::key:format_spec
            head, fmt = text.rsplit(":", 1)
            text = head if not head.endswith(":") else text  # "doc::key" with no format keeps its key
        doc, key = text.split("::", 1) if "::" in text else ("", text)
        out.append((Path(doc).stem if doc else "", key))
    return out


def _slug(title: str) -> str:
    """The anchor MyST makes of a heading (``myst_heading_anchors``): lower case, punctuation dropped."""
    t = re.sub(r"[^\w\- ]", "", title.strip().lower())
    return re.sub(r"\s", "-", t)


def report_problems(book: Path, report: str = REPORT) -> list:
    """Every way the report disagrees with the chapters, as sentences naming the key (empty: consistent)."""
    chapters = {p.stem: p.read_text(encoding="utf8") for p in sorted(book.glob("*.md")) if p.name != report}
    rep = (book / report).read_text(encoding="utf8")
    problems = []
    glued = {}
    for stem, text in chapters.items():
        keys, bad = glued_keys(text)
        for arg in bad:
            problems.append(f"{stem}.md: glue({arg}, ...) has no literal key; write glue(\"v-...\", ...)")
        for key in keys:
            if key in glued:
                problems.append(f"{key}: glued by both {glued[key]}.md and {stem}.md")
                continue
            glued[key] = stem
    pasted = pasted_keys(rep)
    pasted_set = {(d, k) for d, k in pasted}
    for key, stem in sorted(glued.items()):
        if (stem, key) not in pasted_set:
            problems.append(f"{key}: glued by {stem}.md but not pasted by {report}")
    for doc, key in pasted:
        if not key.startswith("v-"):
            continue
        if doc == "":
            problems.append(f"{key}: pasted without its chapter (write chapter.md::{key})")
        elif doc not in chapters:
            problems.append(f"{key}: pasted from {doc}.md, which does not exist")
        elif glued.get(key) != doc:
            where = f"glued by {glued[key]}.md" if key in glued else "glued by no chapter"
            problems.append(f"{key}: pasted from {doc}.md but {where}")
    for doc, anchor in _LINK.findall(rep):
        if doc not in chapters:
            problems.append(f"link {doc}.md#{anchor}: no such chapter")
        elif anchor not in {_slug(h) for h in _HEADING.findall(chapters[doc])}:
            problems.append(f"link {doc}.md#{anchor}: no such heading in {doc}.md")
    return list(dict.fromkeys(problems))  # each problem once


# ------------------------------------------------------------------------------------------------ synthetic
_CHAPTER = """# A chapter

## Verdict

```{{code-cell}} ipython3
from myst_nb import glue
{calls}
```
"""


def _book(tmp_path, chapters: dict, report_rows: list, links=("alpha.md#verdict",)):
    for stem, calls in chapters.items():
        (tmp_path / f"{stem}.md").write_text(_CHAPTER.format(calls="\n".join(calls)), encoding="utf8")
    rows = "\n".join(f"| x | {{glue:text}}`{r}:s` | [Verdict]({links[0]}) |" for r in report_rows)
    (tmp_path / REPORT).write_text(f"# Report\n\n| claim | verdict | evidence |\n|---|---|---|\n{rows}\n",
                                   encoding="utf8")
    return tmp_path


GOOD = {"alpha": ['glue("v-one", s1, display=False)', "glue('v-two', s2, display=False)"],
        "beta": ['glue("v-three", "text", display=False)', 'glue("not-a-verdict", 3)']}
GOOD_ROWS = ["alpha.md::v-one", "alpha.md::v-two", "beta.md::v-three"]


@pytest.mark.parametrize(
    "chapters, rows, links, expected",
    [
        (GOOD, GOOD_ROWS, ("alpha.md#verdict",), []),
        # a chapter glues a verdict the report does not paste
        (GOOD, GOOD_ROWS[:2], ("alpha.md#verdict",), ["v-three: glued by beta.md but not pasted"]),
        # the report pastes a key no chapter glues
        (GOOD, GOOD_ROWS + ["beta.md::v-four"], ("alpha.md#verdict",),
         ["v-four: pasted from beta.md but glued by no"]),
        # the report pastes a key from the wrong chapter
        (GOOD, ["alpha.md::v-one", "alpha.md::v-two", "alpha.md::v-three"], ("alpha.md#verdict",),
         ["v-three: glued by beta.md but not pasted", "v-three: pasted from alpha.md but glued by beta.md"]),
        # the report pastes from a chapter that does not exist
        (GOOD, GOOD_ROWS + ["gamma.md::v-five"], ("alpha.md#verdict",),
         ["v-five: pasted from gamma.md, which does not"]),
        # a glue call whose key cannot be read from the source
        ({**GOOD, "gamma": ["glue(key, s, display=False)"]}, GOOD_ROWS, ("alpha.md#verdict",),
         ["gamma.md: glue(key, ...) has no literal key"]),
        # the same key glued by two chapters
        ({**GOOD, "gamma": ['glue("v-one", "again")']}, GOOD_ROWS, ("alpha.md#verdict",),
         ["v-one: glued by both alpha.md and gamma.md"]),
        # a link to a section the chapter does not have
        (GOOD, GOOD_ROWS, ("alpha.md#summary",), ["link alpha.md#summary: no such heading"]),
    ],
)
def test_checker_on_synthetic_books(tmp_path, chapters, rows, links, expected):
    problems = report_problems(_book(tmp_path, chapters, rows, links))
    assert len(problems) == len(expected), problems
    for p, e in zip(sorted(problems), sorted(expected)):
        assert p.startswith(e), (p, e)


def test_parsers():
    keys, bad = glued_keys(_CHAPTER.format(calls='x = 1\nglue( "v-a" , 1)\nmy_glue("v-b", 2)\nglue(k, 3)'))
    assert keys == {"v-a"} and bad == ["k"]
    assert glued_keys(_CHAPTER.format(calls='myst_nb.glue("v-z", 1)'))[0] == {"v-z"}
    text = "{glue:text}`ch.md::v-a:s` and {glue}`ch.md::v-b` and {glue:text}`v-c:.2f`\n```{glue} ch.md::v-d\n```"
    assert pasted_keys(text) == [("ch", "v-a"), ("ch", "v-b"), ("", "v-c"), ("ch", "v-d")]
    assert _slug("Notes and errata") == "notes-and-errata" and _slug("Verdict") == "verdict"


# ------------------------------------------------------------------------------------------------ the book
def test_every_verdict_a_chapter_glues_is_in_the_report():
    problems = [p for p in report_problems(BOOK) if "but not pasted" in p or "no literal key" in p
                or "glued by both" in p]
    assert problems == [], "\n".join(problems)


def test_the_report_pastes_only_what_the_chapters_glue():
    problems = [p for p in report_problems(BOOK) if not ("but not pasted" in p or "no literal key" in p
                                                        or "glued by both" in p)]
    assert problems == [], "\n".join(problems)


# ------------------------------------------------------------------------------------------------ citations
_CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")


def _bib_keys(text: str) -> set:
    return set(re.findall(r"^@\w+\{([^,\s]+),", text, re.M))


def test_every_citation_is_in_the_bibliography():
    keys = _bib_keys((BOOK / "references.bib").read_text(encoding="utf8"))
    missing = []
    for p in sorted(BOOK.glob("*.md")):
        for group in _CITE.findall(p.read_text(encoding="utf8")):
            missing += [f"{p.name}: {k.strip()}" for k in group.split(",") if k.strip() not in keys]
    assert missing == [], missing
    assert "qin2023efficient" in keys  # arXiv 2307.06565, the SGD chapter's paper


def test_author_year_labels(tmp_path):
    pybtex = pytest.importorskip("pybtex")  # noqa: F841
    import importlib.util

    from pybtex.database import parse_string

    spec = importlib.util.spec_from_file_location("authoryear", BOOK.parent / "_ext" / "authoryear.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    bib = parse_string(
        "@misc{a, author={Ann Smith}, year={2001}}\n"
        "@misc{b, author={Ann Smith and Bo Jones}, year={2002}}\n"
        "@misc{c, author={Ann Smith and Bo Jones and Cy Lee}, year={2003}}\n"
        "@misc{d, author={Jiehao {L}iang}, title={x}}\n",
        "bibtex",
    )
    labels = list(mod.AuthorYearLabelStyle().format_labels(bib.entries.values()))
    assert labels == ["Smith, 2001", "Smith and Jones, 2002", "Smith et al., 2003", "Liang, n.d."]
    real = parse_string((BOOK / "references.bib").read_text(encoding="utf8"), "bibtex")
    got = dict(zip(real.entries, mod.AuthorYearLabelStyle().format_labels(real.entries.values())))
    assert got["alman2023bypass"] == "Alman et al., 2023" and got["qin2023efficient"] == "Qin et al., 2023"


# ------------------------------------------------------------------------------------------------ the TOC
def test_toc_orders_the_chapters_and_lists_every_page():
    yaml = pytest.importorskip("yaml")
    toc = yaml.safe_load((BOOK.parent / "_toc.yml").read_text(encoding="utf8"))
    parts = {p["caption"]: p for p in toc["parts"]}
    chapters = [c["file"] for c in parts["Chapters"]["chapters"]]
    assert parts["Chapters"].get("numbered") is True
    assert chapters == [f"book/{s}" for s in ("sparsity_at_init", "fire_sets_in_training", "correlation_trees",
                                              "training_with_trees", "beyond_one_machine", "sgd_halfspace",
                                              "lower_bound")]
    back = [c["file"] for c in parts["Back matter"]["chapters"]]
    assert back == ["book/reproduction_report", "book/bibliography"]
    listed = set(chapters) | set(back) | {toc["root"]}
    pages = {f"book/{p.stem}" for p in BOOK.glob("*.md")}
    assert pages <= listed, sorted(pages - listed)  # no page left out of the book
