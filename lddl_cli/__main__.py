"""``python -m lddl_cli`` runs the ``lddl`` command."""

from .cli import main

if __name__ == "__main__":
    main()
