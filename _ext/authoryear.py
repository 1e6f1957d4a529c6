"""A pybtex style whose labels read like the citations in the text: "Alman et al., 2023", "Song and Yang, 2021".

sphinxcontrib-bibtex already cites author-year in the text (``bibtex_reference_style: author_year``); its default
formatting styles label the bibliography [1], [2], ... This registers ``authoryear`` (the ``unsrt`` formatting
with author-year labels, entries sorted by author, year, title) for ``bibtex_default_style``.
"""
from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.richtext import Text
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle


def _surnames(entry) -> list[str]:
    people = entry.persons.get("author") or entry.persons.get("editor") or []
    return [Text(*p.rich_last_names).render_as("text") for p in people]


def label_text(entry) -> str:
    """``Surname, year`` / ``A and B, year`` / ``A et al., year`` (``n.d.`` without a year), as the citations
    in the text read."""
    names = _surnames(entry)
    if not names:
        who = entry.fields.get("key", entry.key)
    elif len(names) == 1:
        who = names[0]
    elif len(names) == 2:
        who = f"{names[0]} and {names[1]}"
    else:
        who = f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year') or 'n.d.'}"


class AuthorYearLabelStyle(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        seen: dict[str, int] = {}
        labels = [label_text(e) for e in sorted_entries]
        counts = {lab: labels.count(lab) for lab in labels}
        for lab in labels:  # same authors and year twice: 2023a, 2023b
            if counts[lab] > 1:
                seen[lab] = seen.get(lab, 0) + 1
                yield lab + "abcdefghijklmnopqrstuvwxyz"[seen[lab] - 1]
            else:
                yield lab


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = SortingStyle


register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)


def setup(app):
    return {"parallel_read_safe": True, "parallel_write_safe": True}
