"""lddl's benchmark harness: ``python -m benchmarks [--quick] [--only NAME] [--check]``.

Each case times lddl against a reference measured in the same run (PyTorch eager, a hand-fused
NumPy loop, a bare matrix product, a bare interpreter start-up) and reports the ratio the
project's speed targets are stated in. Absolute numbers vary with the (shared, noisy) machine;
ratios measured side by side, as medians of interleaved repeats after a warm-up, do not.
"""
