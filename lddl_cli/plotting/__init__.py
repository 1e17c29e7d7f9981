"""Figures from arrays: ``fit_figure`` and ``loss_figure`` return a ``matplotlib.figure.Figure``
(never pyplot: no GUI backend, no global state); ``save_png`` writes it atomically.

Owns: how a figure looks and its size. Takes arrays and titles, never a config, a trainer or a
run directory. May import: ``lddl_cli.nn`` (for the atomic write) and matplotlib; nothing else of lddl.
"""

from .figures import DPI, HEIGHT, WIDTH, png_bytes, save_png
from .fit import fit_figure
from .loss import loss_figure

__all__ = ["DPI", "HEIGHT", "WIDTH", "fit_figure", "loss_figure", "png_bytes", "save_png"]
