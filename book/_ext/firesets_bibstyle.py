"""A pybtex style for the book: the bibliography's labels read like its author-year citations
("Alman et al., 2023"), entries sorted by author and year (otherwise pybtex's "plain")."""
from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def _surnames(entry):
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    return [" ".join(p.last_names) for p in persons]


class AuthorYearLabelStyle(BaseLabelStyle):
    """Labels "Surname, 2023", "Surname and Other, 2023", "Surname et al., 2023"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            names = _surnames(entry)
            names = [n.replace("{", "").replace("}", "") for n in names]
            if not names:
                who = entry.key
            elif len(names) == 1:
                who = names[0]
            elif len(names) == 2:
                who = f"{names[0]} and {names[1]}"
            else:
                who = f"{names[0]} et al."
            yield f"{who}, {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(PlainStyle):
    default_label_style = "firesets_authoryear"


def setup(app):
    register_plugin("pybtex.style.labels", "firesets_authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "firesets_authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
