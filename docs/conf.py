"""Sphinx configuration for the trustregion documentation.

Build (from the repository root)::

    sphinx-build -W --keep-going -b doctest docs docs/_build/doctest
    sphinx-build -W --keep-going -b html docs docs/_build/html

The first runs every example on the site (the ``testcode``/``doctest`` blocks of the
pages and the ``>>>`` examples of the docstrings) and fails on any that raises or prints
something else; the second builds the pages. ``-W`` turns every warning into an error.
"""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.abspath(".."))

import trustregion  # noqa: E402

project = "trustregion"
author = "the trustregion developers"
copyright = f"{date.today().year}, {author}"
release = trustregion.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
root_doc = "index"
default_role = "code"

# API reference: one generated page per public object, from its numpy-style docstring.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # the docstrings' Parameters sections say it in words
autodoc_mock_imports = []
# numpydoc lists a class's members itself through autosummary tables that point at stub
# pages nobody generates; our class template documents the members with autodoc instead.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Examples: every ``testcode``, ``doctest`` and ``>>>`` block runs in the doctest build.
doctest_global_setup = """
import numpy as np
np.set_printoptions(precision=6, suppress=True)
"""
doctest_default_flags = (
    __import__("doctest").ELLIPSIS
    | __import__("doctest").NORMALIZE_WHITESPACE
    | __import__("doctest").DONT_ACCEPT_TRUE_FOR_1
)

intersphinx_mapping = {}  # the build runs offline: no inventories are fetched

html_theme = "furo"
html_title = f"trustregion {release}"
html_static_path = []
