"""lddl's neural-network library: layers, losses, optimizers and data loading in NumPy only."""

from . import init
from .activations import ELU, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from .clip import clip_grad_norm, clip_grad_value
from .compiled import TrainStep, compile_enabled, compile_step, not_compiled_reason, set_compile_enabled
from .data import ArrayDataset, DataLoader, random_subset, train_val_split
from .dropout import Dropout
from .layers import Linear, Module, Sequential
from .losses import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, Loss, MSELoss
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)
from .normalization import BatchNorm1d, LayerNorm
from .optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
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
    # training machinery: optimizers, schedulers, clipping, data
    "SGD",
    "Adagrad",
    "Adam",
    "AdamW",
    "ArrayDataset",
    "CosineAnnealingLR",
    "DataLoader",
    "ExponentialLR",
    "LRScheduler",
    "LinearLR",
    "MultiStepLR",
    "Optimizer",
    "RMSprop",
    "ReduceLROnPlateau",
    "StepLR",
    "clip_grad_norm",
    "TrainStep",
    "compile_enabled",
    "compile_step",
    "not_compiled_reason",
    "set_compile_enabled",
    "clip_grad_value",
    "random_subset",
    "train_val_split",
]
