"""lddl's neural-network library: layers, losses, optimizers and data loading in NumPy only."""

from . import init
from .layers import (
    ELU,
    GELU,
    BatchNorm1d,
    Dropout,
    Identity,
    LayerNorm,
    LeakyReLU,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softplus,
    Tanh,
)
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, Loss, MSELoss
from .state import StateError, atomic_write, load_state, save_state
from .tensor import Parameter, pack_parameters

__all__ = [
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "ELU",
    "GELU",
    "HuberLoss",
    "Identity",
    "L1Loss",
    "LayerNorm",
    "LeakyReLU",
    "SiLU",
    "Sigmoid",
    "Softplus",
    "StateError",
    "Tanh",
    "atomic_write",
    "init",
    "load_state",
    "save_state",
    "Linear",
    "Loss",
    "MSELoss",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "pack_parameters",
]
