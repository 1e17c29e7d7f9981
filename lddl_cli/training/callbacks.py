"""The trainer's callbacks: called once before the first epoch, once per epoch, and at the end."""

from __future__ import annotations

from typing import Any


class Callback:
    """No-op base: subclasses override what they need."""

    def on_train_begin(self, info: Any) -> None:
        pass

    def on_epoch_end(self, record: Any) -> None:
        pass

    def on_fit_end(self, history: Any) -> None:
        """The last epoch is done; the run directory is about to be written."""

    def on_train_end(self, history: Any) -> None:
        pass
