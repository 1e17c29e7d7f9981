"""The sweep extra: Optuna (and its PostgreSQL driver) are installed with ``lddl[sweep]`` only."""

from __future__ import annotations

from ..errors import UsageError

INSTALL_HINT = "lddl sweep needs the sweep extra (Optuna 5): pip install 'lddl[sweep]'"


def require_optuna():
    """The optuna module, quiet (warnings only); UsageError (exit 2, one line) if it is missing."""
    try:
        import optuna
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna
