"""Test-session set-up shared by every test module."""

import warnings

# When hypothesis reports a failing example it imports libcst, whose import emits a
# DeprecationWarning (from mypy_extensions) inside pytest's reporting hook, where the
# project's ``filterwarnings = error`` turns it into an INTERNALERROR that hides the
# failure. Importing it once here, with that warning silenced, keeps reports readable.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:  # libcst is not installed: nothing to pre-import
        pass
