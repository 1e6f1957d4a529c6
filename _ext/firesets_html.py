"""Two fixes to the HTML of a Jupyter Book 1.0.4 build, so a page loads with no console error.

* sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``) once per read of the
  sources, so a page can carry it twice and the second ``const`` throws a SyntaxError: identical scripts are
  kept once per page.
* pydata-sphinx-theme logs "Got invalid theme mode" when no ``default_mode`` is set (Jupyter Book sets none):
  the book is light (its figures have white backgrounds).
"""
from __future__ import annotations


def _config_inited(app, config):
    config.html_context.setdefault("default_mode", "light")  # read by pydata-sphinx-theme's layout


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for js in scripts:
        # an inline script has filename None or "" depending on who registered it
        key = (getattr(js, "filename", None) or "", repr(sorted(getattr(js, "attributes", {}).items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(js)
    scripts[:] = kept


def setup(app):
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
