"""Which fields the live progress line shows at a terminal width, and how wide each one is.

Every field has a fixed width (numbers are padded, never cut), so the line never jumps and Rich
never shortens a field to ``0:…``. Fields that do not fit are dropped whole, the least useful
first: the learning rate, then steps/s, the elapsed time, the bar itself and last the validation
loss; the epoch count, the training loss and the ETA always stay. The line is kept one column
short of the width, so that a terminal never wraps it.
"""

from __future__ import annotations

NUMBER = 10  # the longest ``.4g`` of a loss: "-1.234e-05"
TIME = 8  # "10:00:00"
BAR_MIN = 10
DROP_ORDER = ("lr", "speed", "elapsed", "bar", "val")


def field_widths(epochs: int) -> dict[str, int]:
    digits = len(str(epochs))
    return {
        "epoch": len("epoch ") + 2 * digits + 1,
        "loss": len("loss ") + NUMBER,
        "val": len("val ") + NUMBER,
        "lr": len("lr ") + NUMBER,
        "speed": 7 + len(" steps/s"),
        "elapsed": TIME,
        "eta": len("ETA ") + TIME,
    }


ORDER = ("epoch", "bar", "loss", "val", "lr", "speed", "elapsed", "eta")


def progress_layout(width: int, epochs: int, validation: bool) -> tuple[list[str], int]:
    """(the fields shown, in order, and the bar's width: 0 without a bar) for ``width`` columns."""
    widths = field_widths(epochs)
    shown = [name for name in ORDER if validation or name != "val"]

    def bar_room(names: list[str]) -> int:
        fixed = sum(widths[n] for n in names if n != "bar") + (len(names) - 1)  # one space between
        return width - 1 - fixed

    for dropped in DROP_ORDER:
        room = bar_room(shown)
        if ("bar" in shown and room >= BAR_MIN) or ("bar" not in shown and room >= 0):
            break
        if dropped in shown:
            shown.remove(dropped)
    room = bar_room(shown)
    return shown, max(room, 0) if "bar" in shown else 0
