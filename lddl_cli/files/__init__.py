"""Untrusted files in, atomic files out.

Owns: data arrays and their checks against the config (``datafiles``), the sine data set
(``datasets``), the hardened weights reader that rebuilds a model from ``model.npz`` alone
(``weights``), ``checkpoint.npz`` as plain data (``checkpoint``), ``metrics.csv`` (``metrics``),
prediction inputs and outputs (``predictions``) and atomic writes (``atomic``).

May import: ``lddl_cli.nn``, ``lddl_cli.errors`` and ``lddl_cli.config`` (the data checks and
the model rebuild need the validated config); never ``training``, ``plotting``, ``commands`` or ``cli``.
"""
