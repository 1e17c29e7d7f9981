"""Part of case 4 (e2e): how fast the commands that do not train start and finish, each against
``python -c "import numpy"`` timed in the same round (paired ratios), and which of them import
matplotlib (none may: only drawing needs it, measured in a fresh interpreter per command).

- ``lddl predict --weights model.npz --x 0.5`` (a small model): at most 2x the NumPy import;
- ``lddl check CONFIG`` and ``lddl summary model.npz``: at most 3x.
"""

from __future__ import annotations

import subprocess

from .timing import Row, Target, paired_ratio

NAME = "e2e"
LIMITS = {"predict": 2.0, "check": 3.0, "summary": 3.0}
PROBE = (
    "import sys\n"
    "sys.argv = ['lddl', *sys.argv[1:]]\n"
    "from lddl_cli.cli import main\n"
    "try:\n    main()\nexcept SystemExit:\n    pass\n"
    "drawn = any(m.split('.')[0] == 'matplotlib' for m in sys.modules)\n"
    "sys.stderr.write(f'\\nMATPLOTLIB {drawn}\\n')\n"
)


def commands(lddl: list[str], config: str, weights: str) -> dict[str, list[str]]:
    return {
        "predict": [*lddl, "predict", "--weights", weights, "--x", "0.5"],
        "check": [*lddl, "check", config],
        "summary": [*lddl, "summary", weights],
    }


def start_up(run_child, root, python: str, lddl: list[str], config: str, weights: str, repeats: int):
    """(rows, targets) of the start-up ratios; ``run_child`` times one child process."""
    samples: dict[str, list[float]] = {"numpy": []}
    failed: dict[str, str] = {}
    for _ in range(repeats):
        samples["numpy"].append(run_child([python, "-c", "import numpy"]).wall)
        for name, command in commands(lddl, config, weights).items():
            child = run_child(command)
            samples.setdefault(name, []).append(child.wall)
            if child.returncode != 0:
                failed[name] = f"exit {child.returncode}: {child.output.strip()[-120:]}"
    rows = [Row(NAME, 'python -c "import numpy"', None, wall_seconds=min(samples["numpy"]))]
    targets = []
    for name, limit in LIMITS.items():
        rows.append(Row(NAME, f"lddl {name} (child)", None, wall_seconds=min(samples[name])))
        value = None if name in failed else paired_ratio(samples, name, "numpy")
        note = failed.get(name, "median of the repeats' ratios")
        targets.append(Target(NAME, f"lddl {name} wall / import numpy", value, limit, note=note))
    importing = [
        name
        for name, command in commands(["-"], config, weights).items()
        if imports_matplotlib(python, root, command[1:])
    ]
    targets.append(
        Target(
            NAME,
            "commands that do not draw but import matplotlib",
            float(len(importing)),
            0,
            unit="",
            note=", ".join(importing) or "none of " + ", ".join(LIMITS),
        )
    )
    return rows, targets


def imports_matplotlib(python: str, root, args: list[str]) -> bool:
    done = subprocess.run(
        [python, "-c", PROBE, *args], cwd=root, capture_output=True, text=True, check=False, timeout=120
    )
    return "MATPLOTLIB True" in done.stderr
