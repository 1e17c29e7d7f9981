"""``python -m lddl_cli`` runs the ``lddl`` command."""

from .cli import entry

if __name__ == "__main__":
    entry()
