"""Sphinx configuration of the onlinesgd documentation (docs/README.md says why Sphinx)."""

import os

import onlinesgd

project = "onlinesgd"
author = "the onlinesgd developers"
release = version = onlinesgd.__version__
extensions = [
    "myst_parser",  # the Markdown pages
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",  # numpy-style docstrings
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "README.md",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    "sg_execution_times.rst",
]
myst_heading_anchors = 3
html_theme = "furo"
html_title = f"onlinesgd {release}"
autodoc_typehints = "description"
autodoc_member_order = "bysource"
# inherited members too (Simulator and OverlapSimulator share run, overlaps, eg, steps and time
# through onlinesgd.run.Stepping), but not those of Python's own bases (exceptions, warnings)
autodoc_default_options = {
    "members": True,
    "undoc-members": False,
    "show-inheritance": False,
    "inherited-members": "object,BaseException",
}
autosummary_generate = True
napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_use_rtype = False
napoleon_use_ivar = True  # dataclass attributes as fields, not a second description beside autodoc's
suppress_warnings = ["myst.xref_missing"]  # links from the Markdown pages to files outside docs/

# The gallery runs every example; ONLINESGD_EXAMPLES_QUICK=1 (CI) runs them at small sizes.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/(?!_).*\.py$",
    "ignore_pattern": r"/_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
}
os.environ.setdefault("MPLBACKEND", "Agg")
