"""ipywidgets panels for the chapters, one submodule per chapter (only notebooks import these)."""
