"""lddl's neural-network library: layers, losses, optimizers and data loading in NumPy only."""

from .layers import Linear, Module, ReLU, Sequential
from .losses import Loss, MSELoss
from .tensor import Parameter, pack_parameters

__all__ = [
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "pack_parameters",
]
