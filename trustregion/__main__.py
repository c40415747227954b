"""``python -m trustregion bench``."""

from ._cli import console

console()
