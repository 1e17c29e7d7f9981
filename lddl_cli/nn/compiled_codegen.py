"""Source code of a compiled training step: one straight-line Python function per network.

``step_source`` writes the forward, the loss and the backward of one network out as a single
function, the way one would hand-fuse it: one line per NumPy call, every array a local name,
every product written into a preallocated buffer (``ndarray.dot(b, out)``). No loop over layers
and no attribute lookups remain at run time. The function is compiled once with ``exec`` from
this fixed template (no user text enters it) in a namespace holding the network's arrays.

Names in the namespace: ``W{i}``, ``WT{i}`` (its transpose), ``b{i}``, ``gW{i}``, ``gb{i}`` (views
into the flat gradient) for Linear stage i; ``L{i}`` the layer and ``A{i}`` / ``D{i}`` the
activation's forward / backward (see compiled.py); ``buffers(rows)`` returns the tuple of
buffers for a batch size.
"""

from __future__ import annotations


def buffer_names(stages, first: int) -> list[str]:
    """The names, in order, of the per-batch-size buffers ``step_source`` unpacks."""
    names = []
    for i, stage in enumerate(stages):
        if stage.kind == "linear":
            names.append(f"o{i}")  # the Linear output (after ReLU when fused)
            if stage.relu:
                names.append(f"m{i}")  # the gradient masked by ReLU
            if i > first:
                names.append(f"gx{i}")  # dL/d(input)
    # diff and gout: the MSE difference and dL/dpred; ones: a vector of N ones (bias gradients)
    return [*names, "diff", "gout", "ones"]


def _forward_lines(stages) -> list[str]:
    lines = ["    h = x"]
    for i, stage in enumerate(stages):
        if stage.kind == "linear":
            lines += [f"    x{i} = h", f"    h.dot(WT{i}, o{i})"]
            if stage.bias is not None:
                lines.append(f"    o{i} += b{i}")
            if stage.relu:
                lines.append(f"    maximum(o{i}, zero, out=o{i})")
            lines.append(f"    h = o{i}")
        elif stage.kind == "dropout":  # Dropout.forward: the same draws from the layer's rng, in order
            lines += [
                f"    mask{i} = None",
                f"    if L{i}.training and L{i}.p != 0:",
                f"        mask{i} = dropout_mask(h.shape, L{i}.p, L{i}.rng, h.dtype)",
                f"        h = h * mask{i}",
            ]
        else:
            lines.append(f"    h, c{i} = A{i}(L{i}, h)")
    return lines


def _loss_lines(mse: bool) -> list[str]:
    generic = ["loss = loss_fn(h, y)", "g = loss_fn.backward()"]
    if not mse:
        return ["    " + line for line in generic]
    # MSELoss in place: d = pred - y, L = s * sum(d^2), dL/dpred = 2 s d (s = 1/numel for mean).
    return [
        "    if y.shape != h.shape or y.dtype != h.dtype:",
        *("        " + line for line in generic),
        "    else:",
        "        subtract(h, y, diff)",
        "        total = float(vdot(diff, diff))",
        "        loss = total / diff.size if mean else total",
        "        scale = 1.0 / diff.size if mean else 1.0",
        "        g = multiply(diff, 2.0 * scale, gout)",
    ]


def _backward_lines(stages, first: int) -> list[str]:
    lines = []
    for i in range(len(stages) - 1, first - 1, -1):
        stage = stages[i]
        if stage.kind == "linear":
            if stage.relu:  # ReLU's backward as F.relu_backward: G * sign(y)
                lines += [f"    sign(o{i}, m{i})", f"    multiply(g, m{i}, m{i})", f"    g = m{i}"]
            lines.append(f"    g.T.dot(x{i}, gW{i})")
            if stage.bias is not None:
                lines.append(f"    ones.dot(g, gb{i})")  # the row sum as one BLAS call
            if i > first:  # the first parameter layer's input needs no gradient
                lines += [f"    g.dot(W{i}, gx{i})", f"    g = gx{i}"]
        elif stage.kind == "dropout":
            lines.append(f"    if mask{i} is not None:\n        g = g * mask{i}")
        else:
            lines.append(f"    g = D{i}(L{i}, g, c{i})")
    return lines


def step_source(stages, first: int, mse: bool, clip: bool) -> str:
    """The source of ``forward_backward(x, y) -> loss`` for ``stages`` (see compiled.TrainStep)."""
    lines = [
        "def forward_backward(x, y):",
        "    if x.ndim != 2 or (x.dtype is not dtype and x.dtype != dtype):",
        "        return eager(x, y)",
        "    arrays = by_rows.get(x.shape[0])",
        "    if arrays is None:",
        "        arrays = buffers(x.shape[0])",
        f"    {', '.join(buffer_names(stages, first))}, = arrays",
        *_forward_lines(stages),
        *_loss_lines(mse),
        *_backward_lines(stages, first),
    ]
    if clip:  # clip_grad_norm on the flat gradient: g <- g * min(1, max_norm / (||g|| + 1e-6))
        lines += [
            "    coefficient = max_norm / (sqrt(float(flat_grad.dot(flat_grad))) + 1e-6)",
            "    if coefficient < 1.0:",
            "        multiply(flat_grad, coefficient, out=flat_grad)",
        ]
    lines.append("    return loss")
    return "\n".join(lines) + "\n"
