"""``python -m lddl_cli`` runs the ``lddl`` command, with a normal interpreter exit (unlike the
console script's fast one: see ``cli.entry``), so profilers and coverage see it end."""

from .cli import main

if __name__ == "__main__":
    main()
