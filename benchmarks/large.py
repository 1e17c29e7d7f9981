"""Case 2: a large MLP (784-1024-1024-10, batch 256, float32, ReLU, MSE, SGD momentum 0.9).

Here both frameworks are bound by the matrix products, so the question is whether lddl wastes
any of BLAS's throughput. FLOPs per training step are counted as 6·N·Σ(in·out): per Linear
layer 2·N·in·out for the forward product, and 2·N·in·out each for dL/dW and dL/dx in the
backward (bias, activation, loss and update FLOPs are ignored, < 0.2% here). The bare
``np.matmul`` reference runs exactly those 9 products on preallocated arrays with ``out=``.
"""

from __future__ import annotations

import numpy as np

from .timing import CaseResult, Row, Settings, Target, interleaved_samples, medians, paired_ratio

NAME = "large"
WIDTHS = (784, 1024, 1024, 10)
BATCH_SIZE = 256
SAMPLES = 2560
LR = 0.01
MOMENTUM = 0.9
SEED = 20261127


def flops_per_step(widths=WIDTHS, batch_size: int = BATCH_SIZE) -> float:
    return 6.0 * batch_size * sum(i * o for i, o in zip(widths[:-1], widths[1:], strict=True))


def make_data(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SAMPLES, WIDTHS[0]), dtype=np.float32)
    y = rng.standard_normal((SAMPLES, WIDTHS[-1]), dtype=np.float32)
    return x, y


class BareMatmul:
    """The 9 products of one training step (3 forward, 3 dL/dW, 3 dL/dx), nothing else."""

    def __init__(self, seed: int = SEED) -> None:
        rng = np.random.default_rng(seed)
        n = BATCH_SIZE
        self.products = []
        for i, o in zip(WIDTHS[:-1], WIDTHS[1:], strict=True):
            x = rng.standard_normal((n, i), dtype=np.float32)
            w = rng.standard_normal((o, i), dtype=np.float32)
            g = rng.standard_normal((n, o), dtype=np.float32)
            self.products += [
                (x, w.T, np.empty((n, o), np.float32)),
                (g.T, x, np.empty((o, i), np.float32)),
                (g, w, np.empty((n, i), np.float32)),
            ]

    def run(self, steps: int) -> None:
        for _ in range(steps):
            for a, b, out in self.products:
                np.matmul(a, b, out=out)


class LddlLarge:
    """lddl's training step, compiled (the trainer's default) or eager (``compile=False``)."""

    def __init__(self, weights, x, y, compile: bool = True) -> None:
        from lddl_cli import nn

        from .sine import build_lddl_model

        self.model = build_lddl_model(weights)
        self.loss_fn = nn.MSELoss()
        self.optimizer = nn.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.loader = nn.DataLoader(
            nn.ArrayDataset(x, y),
            batch_size=BATCH_SIZE,
            shuffle=True,
            drop_last=True,
            rng=np.random.default_rng(SEED),
        )
        self.iterator = iter(self.loader)
        self.step = nn.compile_step(self.model, self.loss_fn, self.optimizer) if compile else None

    def _batch(self):
        batch = next(self.iterator, None)
        if batch is None:
            self.iterator = iter(self.loader)
            batch = next(self.iterator)
        return batch

    def run(self, steps: int) -> None:
        model, loss_fn, optimizer, step = self.model, self.loss_fn, self.optimizer, self.step
        for _ in range(steps):
            xb, yb = self._batch()
            if step is not None:  # as lddl's trainer
                step.forward_backward(xb, yb)
                step.update()
                continue
            loss_fn(model(xb), yb)
            model.backward(loss_fn.backward())
            optimizer.step()
            optimizer.zero_grad()


class TorchLarge:
    def __init__(self, weights, x, y) -> None:
        import torch

        self.torch = torch
        layers = []
        for k in range(0, len(weights), 2):
            out_features, in_features = weights[k].shape
            linear = torch.nn.Linear(in_features, out_features, dtype=torch.float32)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(weights[k]))
                linear.bias.copy_(torch.from_numpy(weights[k + 1]))
            layers += [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.loss_fn = torch.nn.MSELoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.x, self.y = torch.from_numpy(x), torch.from_numpy(y)
        self.rng = np.random.default_rng(SEED)
        self.perm, self.position = None, len(x)

    def run(self, steps: int) -> None:
        torch = self.torch
        model, loss_fn, optimizer = self.model, self.loss_fn, self.optimizer
        for _ in range(steps):
            if self.position + BATCH_SIZE > len(self.x):
                self.perm, self.position = torch.from_numpy(self.rng.permutation(len(self.x))), 0
            idx = self.perm[self.position : self.position + BATCH_SIZE]
            self.position += BATCH_SIZE
            loss = loss_fn(model(self.x[idx]), self.y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()


def run(settings: Settings) -> CaseResult:
    from .sine import initial_weights, lddl_available, torch_available

    result = CaseResult()
    x, y = make_data()
    weights = initial_weights(WIDTHS, seed=SEED)
    steps = 3 if settings.quick else 10
    flops = flops_per_step()
    result.notes.append(
        f"large: GFLOP/s = 6·N·Σ(in·out) / time = {flops / 1e9:.2f} GFLOP per step (N={BATCH_SIZE}; "
        "forward 2·N·in·out, backward dW and dx 2·N·in·out each, per Linear)"
    )
    no_lddl, no_torch = lddl_available(), torch_available()
    runners = {"bare np.matmul (9 products)": BareMatmul().run}
    if no_lddl is None:
        runners["lddl"] = LddlLarge(weights, x, y).run
        runners["lddl eager"] = LddlLarge(weights, x, y, compile=False).run
    if no_torch is None:
        runners["PyTorch eager"] = TorchLarge(weights, x, y).run
    samples = interleaved_samples(
        {name: (lambda run=run: run(steps)) for name, run in runners.items()},
        dict.fromkeys(runners, steps),
        settings,
    )
    seconds = medians(samples)
    for name in ("lddl", "lddl eager", "PyTorch eager", "bare np.matmul (9 products)"):
        if name in seconds:
            result.rows.append(Row(NAME, name, seconds[name], flops=flops))
        else:
            reason = no_lddl if name.startswith("lddl") else no_torch
            result.rows.append(Row(NAME, name, None, note=f"not available: {reason}"))
    result.targets.append(
        Target(
            NAME,
            "lddl / PyTorch throughput (steps/s)",
            paired_ratio(samples, "PyTorch eager", "lddl"),
            0.95,
            True,
            note="median of the rounds' ratios",
        )
    )
    result.targets.append(
        Target(
            NAME,
            "lddl / bare np.matmul GFLOP/s",
            paired_ratio(samples, "bare np.matmul (9 products)", "lddl"),
            0.9,
            True,
            note="median of the rounds' ratios",
        )
    )
    result.targets.append(
        Target(
            NAME,
            "lddl eager / bare np.matmul GFLOP/s",
            paired_ratio(samples, "bare np.matmul (9 products)", "lddl eager"),
            None,
            note="what the compiled step buys",
        )
    )
    return result
