"""One line per config key, for ``lddl schema`` (an editor shows it while completing the key).

``SHARED`` describes a key that means the same in every section or spec that has it (``lr``,
``reduction``); ``OWNED`` a key of one section or spec (named as in the schema's ``$defs``, the
top level being ``Config``), and wins over ``SHARED``. A spec's ``type`` is described from its
registered class or function: the first line of the library's docstring. A test walks the whole
schema and fails on a property without a description, and on an entry here that no key uses.
"""

from __future__ import annotations

SHARED = {
    # initializers (torch.nn.init)
    "value": "the value of every element",
    "mean": "mean of the normal distribution",
    "std": "standard deviation of the normal distribution (>= 0)",
    "b": "upper bound of the uniform distribution (>= a)",
    "gain": "scaling factor of the initial values",
    "nonlinearity": "the activation that follows, which sets the gain (torch.nn.init.calculate_gain)",
    # losses (torch.nn)
    "reduction": "how the per-element losses become one number: mean or sum",
    "delta": "where the loss turns from quadratic to linear (> 0)",
    "weight": "one weight (>= 0) per class or output, multiplying its loss terms",
    "pos_weight": "one weight (>= 0) per output for the positive class's loss terms",
    "ignore_index": "a class label whose rows add nothing to the loss",
    "label_smoothing": "amount in [0, 1] of the target moved to a uniform distribution over classes",
    # optimizers (torch.optim)
    "lr": "learning rate: the step size of each update (>= 0)",
    "weight_decay": "weight decay factor, added to the gradient as decay_type says (>= 0)",
    "decay_type": "weight decay as l2 (g += wd * w, torch's) or l1 (g += wd * sign(w))",
    "dampening": "dampening of the momentum: the new gradient enters times (1 - dampening)",
    "nesterov": "use Nesterov momentum (needs momentum > 0 and dampening 0)",
    "betas": "[beta1, beta2]: decay rates in [0, 1) of the running mean of g and of g^2",
    "amsgrad": "use the running maximum of the second-moment estimate (AMSGrad)",
    "centered": "divide by the estimated variance of the gradient instead of its mean square",
    "lr_decay": "learning rate decay: step t uses lr / (1 + (t - 1) * lr_decay)",
    "initial_accumulator_value": "starting value of the sum of squared gradients (>= 0)",
    # schedulers (torch.optim.lr_scheduler), stepped once per epoch
    "gamma": "factor that multiplies the learning rate",
    "step_size": "epochs between two multiplications of the learning rate by gamma",
    "milestones": "the epochs, strictly increasing, at which the learning rate is multiplied by gamma",
    "t_max": "epochs of the cosine from the starting learning rate down to eta_min (torch's T_max)",
    "eta_min": "the smallest learning rate, reached after t_max epochs",
    "start_factor": "factor of the learning rate at the first epoch, in (0, 1]",
    "end_factor": "factor of the learning rate after total_iters epochs, in [0, 1]",
    "total_iters": "epochs over which the factor moves from start_factor to end_factor",
    "factor": "factor in (0, 1) that multiplies the learning rate when the metric stops improving",
    "threshold_mode": "rel: improvement relative to the best value; abs: an absolute difference",
    "cooldown": "epochs to wait after a reduction before watching the metric again",
    "min_lr": "the learning rate is never reduced below this",
    # layers (torch.nn)
    "in_features": "width of the layer's input",
    "out_features": "width of the layer's output",
    "weight_init": "initializer of the weight: a name or {type: name, ...}",
    "bias_init": "initializer of the bias: a name or {type: name, ...} that needs no fans",
    "negative_slope": "slope for negative inputs",
    "approximate": "none: the exact GELU; tanh: its tanh approximation",
    "beta": "sharpness of the softplus curve (> 0)",
    "p": "probability in [0, 1] that an element is zeroed in training",
    "num_features": "number of features (the width of the layer before)",
    "normalized_shape": "number of features normalized over (the width of the layer before)",
    "affine": "learn a per-feature scale (weight) and shift (bias)",
    "elementwise_affine": "learn a per-feature scale (weight)",
    "track_running_stats": "keep running mean and variance for evaluation (else use the batch's)",
}

OWNED = {
    # the top level
    ("Config", "sweep"): "a hyperparameter search over key paths of this config (lddl sweep)",
    # the sweep section
    ("SweepConfig", "metric"): "the validation metric a trial is scored by: val_loss or val_<metric>",
    ("SweepConfig", "goal"): "minimize or maximize the metric",
    ("SweepConfig", "trials"): "how many complete trials the study should reach",
    ("SweepConfig", "sampler"): "how Optuna draws the next trial: tpe, random or grid",
    ("SweepConfig", "pruner"): "stop poor trials early from their per-epoch metric: none, median, hyperband",
    ("SweepConfig", "seed"): "the seed of the sampler",
    ("SweepConfig", "parameters"): "dotted key path -> its space {space, lower, upper, step, categories}",
    ("SweepParameter", "space"): "the search space: loguniform, uniform, int or choice",
    ("SweepParameter", "lower"): "the smallest value of the range",
    ("SweepParameter", "upper"): "the largest value of the range",
    ("SweepParameter", "step"): "the spacing of the values drawn from the range (optional)",
    ("SweepParameter", "categories"): "the values a choice draws from",
    ("Config", "name"): "run name: outputs go to runs/<name>/ unless --out is given",
    ("Config", "seed"): "the one seed of initialization, subset, split and shuffling",
    ("Config", "dtype"): "floating-point type of the parameters and data: float32 or float64",
    ("Config", "data"): "the data files (paths relative to the current directory) and their split",
    ("Config", "model"): "the network: widths with one activation, or an explicit list of layers",
    ("Config", "loss"): "the loss to minimize: a name or {type: name, ...}",
    ("Config", "optimizer"): "the optimizer and its hyperparameters: {type: name, lr: ...}",
    ("Config", "scheduler"): "optional learning-rate schedule, stepped once per epoch",
    ("Config", "train"): "the training loop: epochs, batches, clipping, early stopping, checkpoints",
    ("Config", "task"): "regression or classification (default from the loss)",
    ("Config", "preprocess"): "scaling of inputs and targets, fitted on the training split only",
    ("Config", "metrics"): "metrics recorded per epoch as val_<name> and at the end as test_<name>",
    # data
    ("DataConfig", "path"): "a .csv or .tsv table with a header row (instead of x and y)",
    ("DataConfig", "target"): "the table's column (or list of columns) to predict",
    ("DataConfig", "features"): "the table's input columns (default: every column but the targets)",
    ("DataConfig", "test_fraction"): "fraction in [0, 1) of the table's rows held out as the test split",
    ("DataConfig", "test_path"): "a separate test table with the same columns (instead of test_fraction)",
    ("DataConfig", "x"): "inputs: an (N, in) array file, .npy, .csv or .txt (instead of path)",
    ("DataConfig", "y"): "targets: an (N, out) array file, or (N,) class labels for cross_entropy",
    ("PreprocessConfig", "x"): "scaling of the input columns: standardize, minmax or none",
    ("PreprocessConfig", "y"): "scaling of regression targets: none or standardize",
    ("DataConfig", "train_size"): "train on a random subset of this many rows, drawn without replacement",
    ("DataConfig", "val_x"): "validation inputs: an array file like x (give val_y too)",
    ("DataConfig", "val_y"): "validation targets: an array file like y (give val_x too)",
    ("DataConfig", "val_fraction"): "fraction in [0, 1) of the training rows held out for validation",
    # model
    (
        "ModelConfig",
        "widths",
    ): "compact form: layer widths from input to output, e.g. [1, 16, 1]; auto: the data's",
    ("ModelConfig", "activation"): "compact form: the activation between two linear layers (default relu)",
    ("ModelConfig", "weight_init"): "compact form: the initializer of every linear layer's weight",
    ("ModelConfig", "bias_init"): "compact form: the initializer of every linear layer's bias",
    ("ModelConfig", "dropout"): "compact form: dropout probability after each activation",
    ("ModelConfig", "layers"): "explicit form: the layers in order, each a name or {type: name, ...}",
    # train
    ("TrainConfig", "epochs"): "number of passes over the training data",
    ("TrainConfig", "batch_size"): "rows per optimizer step",
    ("TrainConfig", "shuffle"): "draw a new order of the rows every epoch",
    ("TrainConfig", "drop_last"): "drop the last batch of an epoch when it is smaller than batch_size",
    ("TrainConfig", "grad_clip"): "clip the gradients to at most this global L2 norm",
    (
        "TrainConfig",
        "early_stopping",
    ): "stop when the validation loss (else the training loss) stops improving",
    ("TrainConfig", "checkpoint_every"): "epochs between two resumable checkpoints; 0: only at the end",
    ("TrainConfig", "compile"): "the fused training step when the library supports the run; false: eager",
    ("EarlyStopping", "patience"): "epochs without improvement before training stops",
    ("EarlyStopping", "min_delta"): "the smallest decrease of the monitored loss that counts as improvement",
    ("EarlyStopping", "restore_best"): "end with the parameters of the best epoch",
    ("EarlyStopping", "monitor"): "the value watched: val_loss (default), train_loss or val_<metric>",
    (
        "EarlyStopping",
        "mode",
    ): "min: the monitored value should decrease; max: increase (default from its name)",
    # keys whose meaning depends on their spec
    ("UniformInit", "a"): "lower bound of the uniform distribution",
    ("KaimingUniformInit", "a"): "negative slope of the leaky_relu that follows (with nonlinearity)",
    ("KaimingNormalInit", "a"): "negative slope of the leaky_relu that follows (with nonlinearity)",
    ("KaimingUniformInit", "mode"): "fan_in keeps the forward variance, fan_out the backward one",
    ("KaimingNormalInit", "mode"): "fan_in keeps the forward variance, fan_out the backward one",
    ("ReduceLROnPlateauSpec", "mode"): "min: the metric should decrease; max: increase",
    ("ReduceLROnPlateauSpec", "patience"): "epochs without improvement before the learning rate is reduced",
    ("ReduceLROnPlateauSpec", "threshold"): "the smallest change that counts as improvement (>= 0)",
    ("ReduceLROnPlateauSpec", "eps"): "a reduction smaller than this is not applied",
    ("SoftplusSpec", "threshold"): "above beta * x > threshold the output is x itself",
    ("ELUSpec", "alpha"): "the value approached for very negative inputs is -alpha",
    ("RMSpropSpec", "alpha"): "decay rate of the running mean square of the gradient",
    ("SGDSpec", "momentum"): "momentum factor (>= 0); 0 is plain SGD",
    ("RMSpropSpec", "momentum"): "momentum factor (>= 0) of the scaled step",
    ("BatchNorm1dSpec", "momentum"): "weight in [0, 1] of the new batch in the running statistics",
    ("BatchNorm1dSpec", "eps"): "added to the variance before the square root (> 0)",
    ("LayerNormSpec", "eps"): "added to the variance before the square root (> 0)",
    ("AdamSpec", "eps"): "added to the denominator for numerical stability",
    ("AdamWSpec", "eps"): "added to the denominator for numerical stability",
    ("RMSpropSpec", "eps"): "added to the denominator for numerical stability",
    ("AdagradSpec", "eps"): "added to the denominator for numerical stability",
    ("AdamWSpec", "weight_decay"): "decoupled weight decay: w <- w * (1 - lr * weight_decay) each step",
    ("LinearSpec", "bias"): "add a learnable bias (out_features,)",
    ("LayerNormSpec", "bias"): "learn a per-feature shift (bias) too, with elementwise_affine",
}


def description(owner: str, key: str) -> str | None:
    """The one line for ``key`` of the section or spec ``owner``; None if there is none."""
    return OWNED.get((owner, key)) or SHARED.get(key)
