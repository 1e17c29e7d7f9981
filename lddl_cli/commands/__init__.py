"""What the commands do beyond a training run, as plain functions the CLI calls: the model summary
table (``summary``), the closing lines of a training run (``train_summary``) and redrawing a
run's figures (``plot``).

May import: every package below it (``training``, ``plotting``, ``files``, ``config``, ``nn``,
``errors``) and Rich; never ``cli``.
"""
