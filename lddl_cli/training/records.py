"""What a run reports as it goes: ``RunInfo`` before the first epoch, one ``EpochRecord`` per epoch
(a row of metrics.csv), and the ``History`` of the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class RunInfo:
    """What a progress display needs to know before the first epoch."""

    name: str
    epochs: int
    start_epoch: int
    steps_per_epoch: int
    train_rows: int
    val_rows: int


@dataclass(frozen=True)
class EpochRecord:
    """One row of metrics.csv. ``seconds`` is the wall time since the run started."""

    epoch: int
    train_loss: float
    val_loss: float | None
    lr: float
    seconds: float
    steps_per_second: float
    metrics: dict = field(default_factory=dict)  # the validation metrics: {name: value}


@dataclass
class History:
    """The outcome of a run: per-epoch records and what was written."""

    records: list[EpochRecord] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    best_epoch: int | None = None
    stopped_early: bool = False
    restored_best: bool = False
    interrupted: bool = False
    final_val_loss: float | None = None
    scores: dict = field(default_factory=dict)  # {"train" | "val" | "test": {metric: value}} at the end
    paths: dict[str, Path] = field(default_factory=dict)
    step_path: str = "eager"  # "compiled", or "eager (<why>)": which training step ran

    @property
    def model_epoch(self) -> int | None:
        """The epoch whose weights the model holds: the restored best one, else the last (None: none)."""
        if self.restored_best and self.best_epoch is not None:
            return self.best_epoch
        return self.records[-1].epoch if self.records else None

    @property
    def model_record(self) -> EpochRecord | None:
        """The EpochRecord of ``model_epoch``: the numbers that describe the weights written."""
        epoch = self.model_epoch
        return next((r for r in reversed(self.records) if r.epoch == epoch), None)

    @property
    def final_train_loss(self) -> float | None:
        """The training loss of the epoch whose weights the model holds (``model_epoch``)."""
        record = self.model_record
        return record.train_loss if record is not None else None

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0
