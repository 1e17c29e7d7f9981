"""lddl: a command-line trainer for small neural networks written from scratch in NumPy."""

__version__ = "0.1.0"
