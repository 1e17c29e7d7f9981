"""``lddl sweep``: a hyperparameter search over a config's key paths, on Optuna.

Owns: the optional Optuna import (``extra``), the search space (``space``), the storage and the
study (``storage``, ``study``), one trial in-process on data loaded once per worker
(``objective``, ``metric``), the worker loop (``worker``) and the local worker processes
(``workers``), the live table (``table``) and the sweep's outputs (``outputs``): trials.csv,
best.yaml, best/ and the two figures.

May import: ``training``, ``plotting``, ``files``, ``config``, ``errors``, ``nn``, Rich and, once
the sweep extra is installed, optuna; never ``commands`` or ``cli``.
"""
