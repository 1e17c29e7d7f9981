"""``lddl explain``: the exact formulas a config will run, with its shapes and hyperparameters.

The text is the library's own docstrings (one source): a layer's or a loss's summary line and its
``Backward`` paragraph, an optimizer's ``Update per step`` block, a scheduler's summary line and
the gradient clip's formula. This module only finds those paragraphs, fills in this config's shapes
and numbers, and wraps the result to 80 columns.
"""

from __future__ import annotations

import inspect
import re
import textwrap
from pathlib import Path

import numpy as np

WIDTH = 80


def paragraphs(obj) -> list[str]:
    return [p.strip("\n") for p in (inspect.getdoc(obj) or "").split("\n\n") if p.strip()]


def forward_text(obj) -> str:
    """The docstring's first paragraph: the forward formula (a summary line)."""
    found = paragraphs(obj)
    return found[0] if found else ""


def backward_text(obj) -> str:
    """The paragraph naming the backward formula, from the word ``Backward`` on."""
    for paragraph in paragraphs(obj):
        if "Backward" in paragraph:
            return paragraph[paragraph.index("Backward") :]
    return ""


def update_text(obj) -> str:
    """An optimizer's ``Update per step`` heading and the indented rule below it."""
    found = paragraphs(obj)
    for index, paragraph in enumerate(found):
        if paragraph.startswith("Update per step") and index + 1 < len(found):
            return paragraph.rstrip(":") + ":\n" + textwrap.indent(textwrap.dedent(found[index + 1]), "  ")
    return ""


def _fit(line: str, indent: str) -> list[str]:
    """A formula line kept as written, its column gaps narrowed (then folded) if wider than 80."""
    line = indent + line.rstrip()
    if len(line) > WIDTH:
        line = re.sub(r"(?<=\S) {3,}", "  ", line)
    lead = " " * (len(line) - len(line.lstrip()) + 4)
    return (
        textwrap.wrap(line, WIDTH, subsequent_indent=lead, drop_whitespace=True)
        if len(line) > WIDTH
        else [line]
    )


def _wrap(text: str, indent: str = "    ") -> list[str]:
    """Prose rewrapped to 80 columns; indented lines (formula blocks) kept line for line."""
    lines: list[str] = []
    prose: list[str] = []

    def flush() -> None:
        if prose:
            lines.extend(indent + line for line in textwrap.wrap(" ".join(prose), WIDTH - len(indent)))
            prose.clear()

    for line in text.split("\n"):
        if line.startswith(" "):
            flush()
            lines.extend(_fit(line, indent))
        else:
            prose.extend(line.split())
    flush()
    return lines


def _number(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _hyperparameters(group: dict) -> dict[str, str]:
    """A parameter group's hyperparameters under the names the update rules use (wd, beta1, ...)."""
    names = {"weight_decay": "wd"}
    values = {}
    for key, value in group.items():
        if key == "params" or key.startswith("initial_"):
            continue
        if key == "betas":
            values["beta1"], values["beta2"] = _number(value[0]), _number(value[1])
        else:
            values[names.get(key, key)] = _number(value)
    return values


def fill_in(rule: str, values: dict[str, str]) -> str:
    """The rule's formula lines with each scalar hyperparameter's name replaced by its value."""
    numeric = {k: v for k, v in values.items() if re.fullmatch(r"-?[\d.e+-]+", v)}
    if not numeric:
        return rule
    pattern = re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, numeric)) + r")(?![\w(])")
    head, _, block = rule.partition("\n")
    return (
        head
        + "\n"
        + "\n".join(pattern.sub(lambda m: numeric[m.group(1)], line) for line in block.split("\n"))
    )


def _block(text: str) -> str:
    """A formula paragraph kept line for line (indented, never rewrapped)."""
    return textwrap.indent(textwrap.dedent(text), "  ")


def _header(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, subsequent_indent="  ", break_on_hyphens=False)


def _layer_section(index: int, layer, shape_in, shape_out) -> list[str]:
    from .summary import layer_label

    lines = [f"{index} {layer_label(layer)}: input {shape_in} -> output {shape_out}"]
    lines += _wrap("Forward: " + forward_text(type(layer)))
    lines += _wrap(backward_text(type(layer)))
    return lines


def _loss_section(loss, batch_out: tuple[int, ...]) -> list[str]:
    if type(loss).__name__ == "CrossEntropyLoss":  # a mean over rows (their class weights), not elements
        mean = f"c_n = 1/{batch_out[0]} (mean over {batch_out[0]} rows, unit class weights)"
    else:
        mean = f"s = 1/numel = 1/{int(np.prod(batch_out))} (mean over a {batch_out} batch)"
    scale = {"mean": mean, "sum": "s = 1 (sum)"}
    lines = _header(
        f"loss {type(loss).__name__}, reduction {loss.reduction}: {scale.get(loss.reduction, 's = 1')}"
    )
    lines += _wrap("Forward: " + forward_text(type(loss)))
    return lines + _wrap(backward_text(type(loss)))


def _optimizer_section(optimizer) -> list[str]:
    values = _hyperparameters(optimizer.param_groups[0])
    lines = _header(
        f"optimizer {type(optimizer).__name__}: " + ", ".join(f"{k} = {v}" for k, v in values.items())
    )
    lines += _wrap(forward_text(type(optimizer)))
    return lines + _wrap(fill_in(update_text(type(optimizer)), values))


def explain_lines(config_path: Path, overrides: list[str]) -> list[str]:
    """Every section of ``lddl explain`` for one config, as lines of at most 80 columns."""
    from .. import nn
    from ..config import build_loss, build_optimizer, build_scheduler, load_config
    from ..training.data import prepare

    config = load_config(config_path, overrides)
    _, _, model, data = prepare(config)
    config = data.config
    batch = min(config.train.batch_size, len(data.x))
    model.eval()
    x = np.zeros((batch, *np.shape(data.x)[1:]), dtype=data.x.dtype)
    lines = [f"{config.name}: batch {batch} of {len(data.x)} training rows, {config.dtype}", ""]
    for index, layer in enumerate(model):
        y = layer(x)
        lines += [*_layer_section(index, layer, x.shape, y.shape), ""]
        x = y
    lines += [*_loss_section(build_loss(config.loss), x.shape), ""]
    optimizer = build_optimizer(config.optimizer, model.parameters())
    lines += [*_optimizer_section(optimizer), ""]
    if config.scheduler is not None:
        scheduler = build_scheduler(config.scheduler, optimizer)
        settings = ", ".join(f"{k} = {_number(v)}" for k, v in config.scheduler.hyper().items())
        lines += [
            *_header(f"schedule {type(scheduler).__name__}: {settings}"),
            *_wrap(forward_text(type(scheduler))),
            "",
        ]
    if config.train.grad_clip is not None:
        lines += [f"gradient clip: max_norm = {_number(config.train.grad_clip)}"]
        lines += [*_wrap(_block(paragraphs(nn.clip_grad_norm)[1])), ""]
    return lines[:-1] if lines and lines[-1] == "" else lines
