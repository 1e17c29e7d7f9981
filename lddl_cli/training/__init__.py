"""Training runs: the trainer and its loop, records, the finite guard, callbacks (progress,
checkpoints), inference and the run directory.

``Trainer`` never prints and never exits; ``run.train`` / ``run.fit_and_write`` add the files:
the run directory (``rundir``) and the resumable checkpoint.

May import: ``lddl_cli.nn``, ``errors``, ``config``, ``files`` and ``plotting`` (figures are
drawn from arrays made here), Rich for the progress display; never ``commands`` or ``cli``.
"""
