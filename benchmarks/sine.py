"""Case 1: the tutorial's sine MLP (1-16-64-16-1, batch 4, float32, SGD momentum 0.9, MSE).

Three implementations train from the same initial weights on the same batches (each draws
``rng.permutation(100)`` per epoch from the same seed, as lddl's DataLoader does; the harness
checks that the batches really agree and that the parameters agree after a few steps):

- lddl: the trainer's loop, DataLoader -> compiled step (forward, loss, backward) -> update;
  "lddl eager": the loop a reader sees, DataLoader -> forward -> loss -> backward -> step -> zero_grad;
- PyTorch eager: the same network and loop, batches gathered with one index per tensor
  (``x[idx]``, the fast idiom; torch's own DataLoader would be several times slower);
- hand-fused NumPy: one function, plain arrays, the floor of what NumPy can do (also in a
  variant with the cheaper-per-call primitives lddl uses, to isolate the framework overhead).
"""

from __future__ import annotations

import numpy as np

from .timing import CaseResult, Row, Settings, Target, interleaved_samples, medians, paired_ratio

NAME = "sine"
WIDTHS = (1, 16, 64, 16, 1)
BATCH_SIZE = 4
LR = 0.01
MOMENTUM = 0.9
SEED = 10001


def sine_data(seed: int = SEED, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """The tutorial's training set: 100 of 200 points of y = 2 sin(x) + U[-0.05, 0.05) noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-np.pi, np.pi, 200).reshape(-1, 1)
    y = 2.0 * np.sin(x) + rng.uniform(-0.05, 0.05, size=x.shape)
    subset = rng.choice(200, size=100, replace=False)
    return x[subset].astype(dtype), y[subset].astype(dtype)


def initial_weights(widths=WIDTHS, seed: int = SEED, dtype=np.float32) -> list[np.ndarray]:
    """[W1, b1, W2, b2, ...] drawn by lddl's own Linear default init (PyTorch's U(±1/√fan_in))."""
    from lddl_cli import nn

    rng = np.random.default_rng(seed)
    layers = [nn.Linear(i, o, dtype=dtype, rng=rng) for i, o in zip(widths[:-1], widths[1:], strict=True)]
    weights = []
    for layer in layers:
        weights += [layer.weight.data.copy(), layer.bias.data.copy()]
    return weights


def build_lddl_model(weights: list[np.ndarray], dtype=np.float32):
    from lddl_cli import nn

    layers = []
    for k in range(0, len(weights), 2):
        out_features, in_features = weights[k].shape
        linear = nn.Linear(in_features, out_features, dtype=dtype, rng=np.random.default_rng(0))
        linear.weight.data = weights[k]
        linear.bias.data = weights[k + 1]
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers[:-1])


class LddlLoop:
    """The sine training loop with lddl's DataLoader, model, MSELoss and SGD.

    ``compile=True`` (lddl's default, what the trainer runs) takes each step with the compiled
    ``nn.compile_step``; ``compile=False`` runs the eager loop a reader sees in the library:
    forward, loss, backward layer by layer, ``step()``, ``zero_grad()``.
    """

    def __init__(
        self,
        weights,
        x,
        y,
        seed: int = SEED,
        optimizer=("SGD", {"lr": LR, "momentum": MOMENTUM}),
        compile: bool = True,
    ) -> None:
        from lddl_cli import nn

        self.model = build_lddl_model(weights, x.dtype)
        self.loss_fn = nn.MSELoss()
        class_name, hyper = optimizer
        self.optimizer = getattr(nn, class_name)(self.model.parameters(), **hyper)
        self.loader = nn.DataLoader(
            nn.ArrayDataset(x, y),
            batch_size=BATCH_SIZE,
            shuffle=True,
            drop_last=True,
            rng=np.random.default_rng(seed),
        )
        self.steps_per_epoch = len(self.loader)
        self.step = nn.compile_step(self.model, self.loss_fn, self.optimizer) if compile else None
        if compile and self.step is None:
            raise RuntimeError(nn.not_compiled_reason(self.model, self.loss_fn, self.optimizer))

    def run(self, epochs: int) -> float:
        if self.step is not None:
            return self.run_compiled(epochs)
        model, loss_fn, optimizer, loader = self.model, self.loss_fn, self.optimizer, self.loader
        total = 0.0
        for _ in range(epochs):
            for xb, yb in loader:
                total += loss_fn(model(xb), yb)
                model.backward(loss_fn.backward())
                optimizer.step()
                optimizer.zero_grad()
        return total

    def run_compiled(self, epochs: int) -> float:
        """As lddl's trainer: forward_backward, then update, per batch."""
        step, loader = self.step, self.loader
        forward_backward, update = step.forward_backward, step.update
        total = 0.0
        for _ in range(epochs):
            for xb, yb in loader:
                total += forward_backward(xb, yb)
                update()
        return total

    def flat_parameters(self) -> np.ndarray:
        return np.concatenate([p.data.ravel() for p in self.model.parameters()])


class FusedLoop:
    """The same training as one hand-written NumPy function: the floor of NumPy's per-call cost.

    Parameters, gradients and the momentum buffer are flat arrays (each weight a view), the
    gradients are written with ``out=`` (so there is nothing to zero), the first layer's input
    gradient is not computed, and the update is three in-place calls on the flat buffers.

    By default it is written in plain idiomatic NumPy (``@``, ``x[idx]``, ``np.sum``), the floor
    some targets are stated against. ``tuned=True`` runs ``run_tuned`` instead: the same
    step written with the cheaper-per-call primitives that lddl's compiled step uses, so the ratio to
    it isolates what the framework itself costs.
    """

    def __init__(self, weights, x, y, seed: int = SEED, tuned: bool = False) -> None:
        self.x, self.y = x, y
        self.tuned = tuned
        self.rng = np.random.default_rng(seed)
        self.data = np.concatenate([w.ravel() for w in weights])
        self.grad = np.zeros_like(self.data)
        self.momentum_buffer = np.zeros_like(self.data)
        self.scratch = np.zeros_like(self.data)
        self.params, self.grads = [], []
        offset = 0
        for w in weights:
            self.params.append(self.data[offset : offset + w.size].reshape(w.shape))
            self.grads.append(self.grad[offset : offset + w.size].reshape(w.shape))
            offset += w.size
        self.steps_per_epoch = len(x) // BATCH_SIZE
        self.steps = 0

    def run(self, epochs: int) -> float:
        if self.tuned:
            return self.run_tuned(epochs)
        x, y, rng = self.x, self.y, self.rng
        w1, b1, w2, b2, w3, b3, w4, b4 = self.params
        gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4 = self.grads
        data, grad, buf, scratch = self.data, self.grad, self.momentum_buffer, self.scratch
        mm, sum_rows = np.matmul, np.sum  # idiomatic: `@` is np.matmul, and np.sum
        n, bs = len(x), BATCH_SIZE
        stop = n - n % bs
        total = 0.0
        for _ in range(epochs):
            perm = rng.permutation(n)
            for start in range(0, stop, bs):
                idx = perm[start : start + bs]
                xb, yb = x[idx], y[idx]
                h1 = mm(xb, w1.T)
                h1 += b1
                np.maximum(h1, 0, out=h1)
                h2 = mm(h1, w2.T)
                h2 += b2
                np.maximum(h2, 0, out=h2)
                h3 = mm(h2, w3.T)
                h3 += b3
                np.maximum(h3, 0, out=h3)
                out = mm(h3, w4.T)
                out += b4
                out -= yb
                total += float(np.vdot(out, out)) / out.size
                g = out * (2.0 / out.size)
                mm(g.T, h3, out=gw4)
                sum_rows(g, 0, out=gb4)
                g = mm(g, w4)
                g *= h3 > 0
                mm(g.T, h2, out=gw3)
                sum_rows(g, 0, out=gb3)
                g = mm(g, w3)
                g *= h2 > 0
                mm(g.T, h1, out=gw2)
                sum_rows(g, 0, out=gb2)
                g = mm(g, w2)
                g *= h1 > 0
                mm(g.T, xb, out=gw1)
                sum_rows(g, 0, out=gb1)
                buf *= MOMENTUM
                buf += grad
                np.multiply(buf, LR, out=scratch)
                data -= scratch
                self.steps += 1
        return total

    def run_tuned(self, epochs: int) -> float:
        """``run`` with lddl's primitives: ``ndarray.dot`` (no dispatcher), ``take``, a 0-d zero of
        the dtype (no scalar conversion), ``ones @ g`` for a bias gradient, ``g * sign(h)`` for
        ReLU's; and, like lddl's optimizers, subnormal momentum values flushed every 32 steps."""
        x, y, rng = self.x, self.y, self.rng
        w1, b1, w2, b2, w3, b3, w4, b4 = self.params
        gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4 = self.grads
        data, grad, buf, scratch = self.data, self.grad, self.momentum_buffer, self.scratch
        zero = np.zeros((), dtype=data.dtype)
        ones = np.ones(BATCH_SIZE, dtype=data.dtype)
        momentum, lr = data.dtype.type(MOMENTUM), data.dtype.type(LR)
        sign = np.sign
        n, bs = len(x), BATCH_SIZE
        stop = n - n % bs
        total = 0.0
        for _ in range(epochs):
            perm = rng.permutation(n)
            for start in range(0, stop, bs):
                idx = perm[start : start + bs]
                xb, yb = x.take(idx, axis=0), y.take(idx, axis=0)
                h1 = xb.dot(w1.T)
                h1 += b1
                np.maximum(h1, zero, out=h1)
                h2 = h1.dot(w2.T)
                h2 += b2
                np.maximum(h2, zero, out=h2)
                h3 = h2.dot(w3.T)
                h3 += b3
                np.maximum(h3, zero, out=h3)
                out = h3.dot(w4.T)
                out += b4
                out -= yb
                total += float(np.vdot(out, out)) / out.size
                g = out * (2.0 / out.size)
                g.T.dot(h3, gw4)
                ones.dot(g, gb4)
                g = g.dot(w4) * sign(h3)
                g.T.dot(h2, gw3)
                ones.dot(g, gb3)
                g = g.dot(w3) * sign(h2)
                g.T.dot(h1, gw2)
                ones.dot(g, gb2)
                g = g.dot(w2) * sign(h1)
                g.T.dot(xb, gw1)
                ones.dot(g, gb1)
                buf *= momentum
                buf += grad
                np.multiply(buf, lr, out=scratch)
                data -= scratch
                self.steps += 1
                if self.steps % 32 == 0:
                    np.copyto(buf, 0, where=np.abs(buf) < np.finfo(buf.dtype).tiny)
        return total

    def flat_parameters(self) -> np.ndarray:
        return self.data.copy()


class TorchLoop:
    """PyTorch eager: the same network, loss, optimizer and batches."""

    def __init__(self, weights, x, y, seed: int = SEED, threads: int | None = None) -> None:
        import torch

        self.torch = torch
        self.threads = threads
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
        self.rng = np.random.default_rng(seed)
        self.steps_per_epoch = len(x) // BATCH_SIZE

    def run(self, epochs: int) -> float:
        torch = self.torch
        previous = torch.get_num_threads()
        if self.threads is not None:
            torch.set_num_threads(self.threads)
        try:
            model, loss_fn, optimizer, x, y, rng = (
                self.model,
                self.loss_fn,
                self.optimizer,
                self.x,
                self.y,
                self.rng,
            )
            n, bs = len(x), BATCH_SIZE
            stop = n - n % bs
            total = 0.0
            for _ in range(epochs):
                perm = torch.from_numpy(rng.permutation(n))
                for start in range(0, stop, bs):
                    idx = perm[start : start + bs]
                    loss = loss_fn(model(x[idx]), y[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.item()
            return total
        finally:
            torch.set_num_threads(previous)

    def flat_parameters(self) -> np.ndarray:
        return np.concatenate([p.detach().numpy().ravel() for p in self.model.parameters()])


def torch_available() -> str | None:
    """None when torch imports, else the reason it does not."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return f"PyTorch not importable ({error})"
    return None


def lddl_available() -> str | None:
    """None when the lddl pieces this loop uses exist, else what is missing."""
    from lddl_cli import nn

    missing = [name for name in ("SGD", "DataLoader", "ArrayDataset") if not hasattr(nn, name)]
    return f"lddl lacks nn.{', nn.'.join(missing)}" if missing else None


def batches_agree(x, y, seed: int = SEED, epochs: int = 3) -> bool:
    """True when lddl's DataLoader yields the batches of ``rng.permutation`` slices the references use."""
    from lddl_cli import nn

    loader = nn.DataLoader(
        nn.ArrayDataset(x, y),
        batch_size=BATCH_SIZE,
        shuffle=True,
        drop_last=True,
        rng=np.random.default_rng(seed),
    )
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        perm = rng.permutation(len(x))
        expected = [perm[s : s + BATCH_SIZE] for s in range(0, len(x) - len(x) % BATCH_SIZE, BATCH_SIZE)]
        got = list(loader)
        if len(got) != len(expected):
            return False
        for (xb, yb), idx in zip(got, expected, strict=True):
            if not (np.array_equal(xb, x[idx]) and np.array_equal(yb, y[idx])):
                return False
    return True


def parity(loops: dict[str, object], epochs: int = 2) -> dict[str, float]:
    """Max |Δparameter| of each loop against the first, after ``epochs`` epochs from the same start."""
    finals = {}
    for name, loop in loops.items():
        loop.run(epochs)
        finals[name] = loop.flat_parameters()
    reference = next(iter(finals.values()))
    return {name: float(np.max(np.abs(final - reference))) for name, final in finals.items()}


def run(settings: Settings) -> CaseResult:
    result = CaseResult()
    x, y = sine_data()
    weights = initial_weights()
    epochs = 8 if settings.quick else 40
    no_lddl, no_torch = lddl_available(), torch_available()

    makers = {
        "hand-fused NumPy": lambda: FusedLoop(weights, x, y),
        "hand-fused NumPy, lddl's primitives": lambda: FusedLoop(weights, x, y, tuned=True),
    }
    if no_lddl is None:
        makers["lddl"] = lambda: LddlLoop(weights, x, y)
        makers["lddl eager"] = lambda: LddlLoop(weights, x, y, compile=False)
    if no_torch is None:
        makers["PyTorch eager (default threads)"] = lambda: TorchLoop(weights, x, y)
        makers["PyTorch eager (1 thread)"] = lambda: TorchLoop(weights, x, y, threads=1)

    if no_lddl is None:
        agree = batches_agree(x, y)
        result.notes.append(
            f"sine: lddl's DataLoader batches {'equal' if agree else 'DIFFER FROM'} the references'"
        )
    drift = parity({name: make() for name, make in makers.items() if "1 thread" not in name})
    result.notes.append(
        "sine: max |Δparameter| vs hand-fused after 2 epochs: "
        + ", ".join(f"{name} {value:.1e}" for name, value in drift.items() if name != "hand-fused NumPy")
    )

    loops = {name: make() for name, make in makers.items()}
    runners = {name: (lambda loop=loop: loop.run(epochs)) for name, loop in loops.items()}
    units = {name: epochs * loop.steps_per_epoch for name, loop in loops.items()}
    samples = interleaved_samples(runners, units, settings)
    seconds = medians(samples)

    for name in (
        "lddl",
        "lddl eager",
        "hand-fused NumPy",
        "hand-fused NumPy, lddl's primitives",
        "PyTorch eager (default threads)",
        "PyTorch eager (1 thread)",
    ):
        if name in seconds:
            result.rows.append(Row(NAME, name, seconds[name]))
        else:
            reason = no_lddl if name.startswith("lddl") else no_torch
            result.rows.append(Row(NAME, name, None, note=f"not available: {reason}"))

    # Each ratio is the median of the rounds' ratios (see timing.paired_ratio).
    paired = "median of the rounds' ratios"
    result.targets += [
        Target(
            NAME,
            "PyTorch eager / lddl, µs per step",
            paired_ratio(samples, "PyTorch eager (default threads)", "lddl"),
            15.0,
            higher_is_better=True,
            note=paired,
        ),
        Target(
            NAME,
            "PyTorch eager 1 thread / lddl",
            paired_ratio(samples, "PyTorch eager (1 thread)", "lddl"),
            None,
        ),
        Target(
            NAME,
            "lddl / hand-fused with lddl's primitives",
            paired_ratio(samples, "lddl", "hand-fused NumPy, lddl's primitives"),
            1.05,
            note="the framework's own overhead; " + paired,
        ),
        Target(
            NAME, "lddl / hand-fused NumPy (plain)", paired_ratio(samples, "lddl", "hand-fused NumPy"), None
        ),
        Target(
            NAME,
            "PyTorch eager / lddl eager",
            paired_ratio(samples, "PyTorch eager (default threads)", "lddl eager"),
            None,
            note="the readable path, without the compiled step",
        ),
        Target(
            NAME,
            "lddl eager / lddl",
            paired_ratio(samples, "lddl eager", "lddl"),
            None,
            note="what the compiler buys",
        ),
    ]
    return result
