"""The bad-input catalogue: each entry is an ``lddl`` command, the bad input it reads, and one regex
per line that lddl must print on stderr (matched from the start of the line, in order).

Commands run inside a workspace (see ``tests/robustness/test_bad_inputs.py``) holding:
``valid.yaml`` and ``config/`` (copied from this folder), ``data/`` (valid data) and ``bad/``
(written by ``make_bad_inputs.py``), ``runs/valid/`` (a small valid run whose ``model.npz`` the
weights cases are derived from), ``runs/catalogue/`` (an existing run that the failing commands must
not touch) and an empty ``out/`` folder that commands are told to write into.

Every entry must exit with code 2, print nothing on stdout, exactly these lines on stderr, no
traceback, and leave every file of the workspace as it was (so nothing executed a payload: the
payloads would create ``pwned``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    name: str
    args: tuple[str, ...]
    patterns: tuple[str, ...]


def _config(name: str, patterns: list[str], command: str = "train") -> Entry:
    return Entry(f"config-{name}", (command, f"config/{name}.yaml"), tuple(patterns))


def _at(name: str, line: int) -> str:
    """The location prefix of a problem on ``line`` of config/NAME.yaml (any column)."""
    return rf"config/{name}\.yaml:{line}:\d+: "


CONFIG = [
    _config("syntax_error", [_at("syntax_error", 9) + "YAML syntax error: .*"]),
    _config("bad_indentation", [_at("bad_indentation", 6) + "YAML syntax error: .*"], "check"),
    _config(
        "tab_indentation",
        [
            r"config/tab_indentation\.yaml:17:1: YAML syntax error: a tab in the indentation; "
            r"YAML does not allow a tab for indentation \(use spaces\)$"
        ],
        "check",
    ),
    _config("duplicate_key", [_at("duplicate_key", 18) + r"train\.epochs: duplicate key .*line 16"]),
    _config("empty", [r"config/empty\.yaml(:1:1)?: empty config"]),
    _config("top_level_list", [_at("top_level_list", 2) + "the top level must be a mapping.*list"]),
    _config("top_level_scalar", [_at("top_level_scalar", 2) + "the top level must be a mapping"], "check"),
    _config(
        "python_object_tag",
        [_at("python_object_tag", 2) + r"name: YAML tag '!!python/object/apply:os\.system' is not allowed"],
    ),
    _config(
        "python_name_tag",
        [
            _at("python_name_tag", 9)
            + r"model\.activation: YAML tag '!!python/name:os\.system' is not allowed"
        ],
    ),
    _config("alias_bomb", [_at("alias_bomb", 3) + r".*aliases"]),
    # lddl's own depth limit, worded the same with or without libyaml and in every PyYAML 6.0.x.
    _config(
        "deep_nesting",
        [_at("deep_nesting", 2) + r"nesting deeper than 50 levels; a config needs only a few$"],
    ),
    _config(
        "typo_top_level", [_at("typo_top_level", 11) + r"optimiser: unknown key; did you mean 'optimizer'\?"]
    ),
    _config("typo_epoch", [_at("typo_epoch", 16) + r"train\.epoch: unknown key; did you mean 'epochs'\?"]),
    _config(
        "typo_learnin_rate",
        [_at("typo_learnin_rate", 13) + r"optimizer\.learnin_rate: unknown key; did you mean 'lr'\?"],
        "check",
    ),
    _config(
        "typo_layer_type",
        [
            _at("typo_layer_type", 9)
            + r"model\.layers\[0\](\.type)?: unknown layer 'lineer'; did you mean 'linear'\?"
        ],
    ),
    _config(
        "typo_activation",
        [_at("typo_activation", 9) + r"model\.activation: unknown activation 'rleu'; did you mean 'relu'\?"],
    ),
    _config("typo_loss", [_at("typo_loss", 10) + r"loss(\.type)?: unknown loss 'mes'; did you mean 'mse'\?"]),
    _config(
        "typo_optimizer_type",
        [
            _at("typo_optimizer_type", 12)
            + r"optimizer(\.type)?: unknown optimizer 'sdg'; did you mean 'sgd'\?"
        ],
    ),
    _config("epochs_string", [_at("epochs_string", 16) + r"train\.epochs: expected an integer; got 'ten'"]),
    _config("epochs_bool", [_at("epochs_bool", 16) + r"train\.epochs: expected an integer; got true"]),
    _config(
        "loss_reduction_none",
        [_at("loss_reduction_none", 10) + r"loss\.reduction: unknown value 'none'; allowed: mean, sum"],
    ),
    _config(
        "batch_size_float",
        [_at("batch_size_float", 17) + r"train\.batch_size: expected an integer; got 32\.5"],
    ),
    _config(
        "batch_size_zero", [_at("batch_size_zero", 17) + r"train\.batch_size: must be >= 1; got 0"], "check"
    ),
    _config("lr_negative", [_at("lr_negative", 13) + r"optimizer\.lr: must be >= 0(\.0)?; got -1"]),
    _config("lr_nan", [_at("lr_nan", 13) + r"optimizer\.lr: must be a finite number; got nan"]),
    _config("lr_inf", [_at("lr_inf", 13) + r"optimizer\.lr: must be a finite number; got inf"]),
    _config("widths_empty", [_at("widths_empty", 8) + r"model\.widths: needs at least 2"]),
    _config("dropout_p", [_at("dropout_p", 11) + r"model\.layers\[2\]\.p: must be <= 1(\.0)?; got 1\.5"]),
    _config(
        "widths_and_layers", [_at("widths_and_layers", 8) + r"model: give either 'widths' .* or 'layers'"]
    ),
    _config("seed_negative", [_at("seed_negative", 3) + r"seed: must be >= 0; got -7"]),
    _config(
        "four_problems",
        [
            _at("four_problems", 9)
            + r"model\.activation: unknown activation 'sigmoidd'; did you mean 'sigmoid'\?",
            _at("four_problems", 14) + r"optimizer\.momentun: unknown key; did you mean 'momentum'\?",
            _at("four_problems", 16) + r"train\.epochs: expected an integer; got 'two'",
            _at("four_problems", 17) + r"train\.batch_size: must be >= 1; got -4",
        ],
    ),
    Entry(
        "config-5mib",
        ("train", "bad/big_5mib.yaml"),
        (r"bad/big_5mib\.yaml: file is \d+ bytes; a config may be at most",),
    ),
    Entry("config-non_utf8", ("check", "bad/non_utf8.yaml"), (r"bad/non_utf8\.yaml:2:\d+: not valid UTF-8",)),
    Entry("config-directory", ("train", "config"), (r"config: is a directory",)),
    Entry("config-missing", ("train", "config/nope.yaml"), (r"config/nope\.yaml: no such file",)),
    Entry(
        "config-new-out-dir",
        ("train", "config/lr_nan.yaml", "--out", "out/run"),
        (_at("lr_nan", 13) + "optimizer",),
    ),
    Entry(
        "config-summary-typo",
        ("summary", "config/typo_epoch.yaml"),
        (_at("typo_epoch", 16) + r"train\.epoch: ",),
    ),
    Entry(
        "config-summary-alias_bomb",
        ("summary", "config/alias_bomb.yaml"),
        (_at("alias_bomb", 3) + ".*aliases",),
    ),
    Entry(
        "config-summary-non_utf8",
        ("summary", "bad/non_utf8.yaml"),
        (r"bad/non_utf8\.yaml:2:\d+: not valid UTF-8",),
    ),
    Entry("config-pipe", ("check", "bad/fifo.yaml"), (r"bad/fifo\.yaml: is not a regular file",)),
    Entry("config-device", ("train", "/dev/zero"), (r"/dev/zero: is not a regular file",)),
    Entry(
        "config-set-negative",
        ("train", "valid.yaml", "--set", "optimizer.lr=-1"),
        (r"--set optimizer\.lr: must be >= 0",),
    ),
    Entry(
        "config-set-typo",
        ("train", "valid.yaml", "--set", "train.epoch=3"),
        (r"--set train\.epoch: unknown key; did you mean 'epochs'\?",),
    ),
    Entry(
        "config-set-type-optimizer",
        ("train", "valid.yaml", "--set", "optimizer.type=adam"),
        (
            r"--set optimizer\.type: changing 'type' alone keeps the other keys of the sgd optimizer, and "
            r"adam does not take momentum; set the whole section instead: "
            r'--set "optimizer=\{type: adam, lr: 0\.01\}"$',
        ),
    ),
    Entry(
        "config-set-type-scheduler",
        ("check", "valid.yaml", "--set", "scheduler.type=cosine"),
        (
            r"--set scheduler\.type: 'type' alone does not make a whole scheduler, and cosine needs t_max; "
            r'set the whole section instead: --set "scheduler=\{type: cosine, t_max: <t_max>\}"$',
        ),
    ),
    Entry(
        "config-set-type-initializer",
        (
            "train",
            "valid.yaml",
            "--set",
            "model.weight_init={type: normal, std: 0.01}",
            "--set",
            "model.weight_init.type=xavier_uniform",
        ),
        (
            r"--set model\.weight_init\.type: changing 'type' alone keeps the other keys of the normal "
            r"initializer, and xavier_uniform does not take std; set the whole section instead: "
            r'--set "model\.weight_init=\{type: xavier_uniform\}"$',
        ),
    ),
    Entry(
        "config-set-nan",
        ("check", "valid.yaml", "--set", "optimizer.momentum=.nan"),
        (r"--set optimizer\.momentum: must be a finite number",),
    ),
]


def _data(name: str, overrides: list[str], patterns: list[str], command: str = "train") -> Entry:
    args = [command, "valid.yaml"]
    for override in overrides:
        args += ["--set", override]
    return Entry(f"data-{name}", tuple(args), tuple(patterns))


DATA = [
    _data(
        "missing",
        ["data.x=bad/nope.npy"],
        [r"--set data\.x: no such file 'bad/nope\.npy'; paths are relative to the current directory \(/"],
    ),
    Entry(
        "data-relative-to-config",
        ("check", "config/data_relative_to_config.yaml"),
        (
            r"config/data_relative_to_config\.yaml:5:6: data\.x: no such file '\.\./data/x\.npy'; paths are "
            r"relative to the current directory \(/.*\); '\.\./data/x\.npy' exists relative to the config's "
            r"folder: use 'data/x\.npy', or run lddl from 'config'$",
        ),
    ),
    _data("pipe", ["data.x=bad/fifo.npy"], [r"bad/fifo\.npy: data\.x: is not a regular file"]),
    _data("directory", ["data.y=bad"], [r"bad: data\.y: is a directory"]),
    _data(
        "pickle_payload",
        ["data.x=bad/x_pickled.npy"],
        [r"bad/x_pickled\.npy: data\.x: dtype object is not allowed.*never unpickles"],
    ),
    _data(
        "object_array",
        ["data.x=bad/x_object.npy"],
        [r"bad/x_object\.npy: data\.x: dtype object is not allowed"],
        "check",
    ),
    _data("x_1d", ["data.x=bad/x_1d.npy"], [r"bad/x_1d\.npy: data\.x: expected a 2-D .*got shape \(32,\)"]),
    _data(
        "x_3d", ["data.x=bad/x_3d.npy"], [r"bad/x_3d\.npy: data\.x: expected a 2-D .*got shape \(32, 1, 1\)"]
    ),
    _data(
        "rows_mismatch",
        ["data.x=bad/x_short.npy"],
        [r"data/y\.npy: data\.y: has 32 rows but data\.x \(bad/x_short\.npy\) has 31"],
    ),
    _data(
        "zero_rows",
        ["data.x=bad/x_empty.npy", "data.y=bad/y_empty.npy"],
        [
            r"bad/x_empty\.npy: data\.x: no data: shape \(0, 1\)",
            r"bad/y_empty\.npy: data\.y: no data: shape \(0, 1\)",
        ],
    ),
    _data(
        "x_nan",
        ["data.x=bad/x_nan.npy"],
        [r"bad/x_nan\.npy: data\.x: 2 non-finite value\(s\).*nan, at row 5, column 0"],
    ),
    _data(
        "y_inf",
        ["data.y=bad/y_inf.npy"],
        [r"bad/y_inf\.npy: data\.y: 1 non-finite value\(s\).*inf, at row 3, column 0"],
        "check",
    ),
    _data(
        "string_dtype",
        ["data.x=bad/x_str.npy"],
        [r"bad/x_str\.npy: data\.x: dtype <U8 \(string\) is not allowed"],
    ),
    _data(
        "complex_dtype",
        ["data.x=bad/x_complex.npy"],
        [r"bad/x_complex\.npy: data\.x: dtype complex128 \(complex\) is not allowed"],
    ),
    _data(
        "huge_header",
        ["data.x=bad/x_huge_header.npy"],
        [r"bad/x_huge_header\.npy: data\.x: .*header declares shape \(1000000000000, 1\)"],
    ),
    _data(
        "truncated", ["data.x=bad/x_truncated.npy"], [r"bad/x_truncated\.npy: data\.x: truncated or corrupt"]
    ),
    _data(
        "csv_header_row",
        ["data.x=bad/x_header.csv"],
        [r"bad/x_header\.csv: data\.x: line 1: 'x' is not a number"],
    ),
    _data(
        "csv_ragged",
        ["data.x=bad/x_ragged.csv"],
        [r"bad/x_ragged\.csv: data\.x: line 8 has 2 columns but line 1 has 1"],
    ),
    _data(
        "widths_mismatch",
        ["model.widths=[3,8,1]"],
        [r"data/x\.npy: data\.x: has 1 column\(s\) but the model's first layer takes 3"],
    ),
    _data(
        "batch_larger_than_data",
        ["train.batch_size=40"],
        [r"(valid\.yaml:|--set) train\.batch_size: 40 is more than the 32 training rows"],
    ),
    _data(
        "x_nan_and_y_inf",
        ["data.x=bad/x_nan.npy", "data.y=bad/y_inf.npy"],
        [r"bad/x_nan\.npy: data\.x: 2 non-finite", r"bad/y_inf\.npy: data\.y: 1 non-finite"],
        "check",
    ),
    Entry(
        "data-new-out-dir",
        ("train", "valid.yaml", "--set", "data.x=bad/x_3d.npy", "--out", "out/run"),
        (r"bad/x_3d\.npy: data\.x: expected a 2-D",),
    ),
    Entry(
        "data-predict-input-pickle",
        ("predict", "--weights", "runs/valid/model.npz", "--input", "bad/x_pickled.npy"),
        (r"bad/x_pickled\.npy: --input: dtype object is not allowed",),
    ),
    Entry(
        "data-predict-input-nan",
        ("predict", "--weights", "runs/valid/model.npz", "--input", "bad/x_nan.npy", "--output", "out/y.npy"),
        (r"bad/x_nan\.npy: --input: 2 non-finite",),
    ),
]

# Weights: (file under bad/, one regex per line, each following "bad/FILE.npz: ").
WEIGHTS_CASES = {
    "truncated_10": [r"not a weights file: cannot read it as an \.npz \(zip\) archive"],
    "truncated_50": [r"not a weights file: cannot read it as an \.npz \(zip\) archive"],
    "truncated_99": [r"not a weights file: cannot read it as an \.npz \(zip\) archive"],
    "empty": [r"not a weights file"],
    "not_a_zip": [r"not a weights file"],
    "flipped_byte": [r"0\.weight: corrupt member \(BadZipFile: Bad CRC-32"],
    "renamed_member": [
        r"0\.weight: missing array for layer 0 \(linear.*\), expected shape \(8, 1\); "
        r"did you mean '0\.wieght'\?",
        r"0\.wieght: unexpected array of shape \(8, 1\).*did you mean '0\.weight'\?",
    ],
    "extra_member": [r"extra: unexpected array of shape \(3,\)"],
    "missing_member": [r"2\.bias: missing array for layer 2 \(linear.*\), expected shape \(1,\)"],
    "transposed": [
        r"0\.weight: layer 0 \(linear: in_features=1, out_features=8\) expects shape \(8, 1\), "
        r"the file holds \(1, 8\)"
    ],
    "int_dtype": [r"0\.weight: layer 0 \(linear.*\) expects a float array, the file holds int64"],
    "complex_dtype": [r"0\.weight: expected a float32, float64 or int64 array, got dtype complex128"],
    "nan_value": [r"0\.bias: 1 non-finite value\(s\) \(nan or inf\), first at index \(3,\)"],
    "pickle_payload": [r"0\.weight: holds Python objects, which can only be read by unpickling; refused"],
    "deflate_bomb": [r"0\.weight: declares 2684354\d+ bytes uncompressed; the limit is \d+ bytes"],
    "deflate_bomb_lying_size": [r"0\.weight: corrupt member \(BadZipFile: Bad CRC-32"],
    "other_architecture": [
        r"0\.weight: layer 0 \(linear: in_features=1, out_features=8\) expects shape \(8, 1\), "
        r"the file holds \(4, 1\)",
        r"0\.bias: layer 0 \(linear.*\) expects shape \(8,\), the file holds \(4,\)",
        r"2\.weight: layer 2 \(linear: in_features=8, out_features=1\) expects shape \(1, 8\), "
        r"the file holds \(1, 4\)",
    ],
    "no_metadata": [r"__lddl__: missing; this is not a weights file written by lddl train"],
    "metadata_bad_json": [r"__lddl__: invalid JSON"],
    "metadata_format": [r"__lddl__\.format: unsupported format version 99; this lddl reads 1"],
    "metadata_unknown_layer": [
        r"__lddl__\.model\.layers\[0\](\.type)?: unknown layer 'lineer'; did you mean 'linear'\?"
    ],
    "metadata_huge_layer": [
        r"__lddl__\.model\.layers: layer sizes declare far more parameters than the file holds"
    ],
}

WEIGHTS_COMMANDS = {
    "predict": ("predict", "--weights", "{w}", "--x", "0.5", "--output", "out/pred.npy"),
    "plot": ("plot", "--weights", "{w}", "--out", "out/fit.png"),
    "summary": ("summary", "{w}"),
}


def _weights_entries() -> list[Entry]:
    entries = []
    for case, patterns in WEIGHTS_CASES.items():
        path = f"bad/{case}.npz"
        for command, template in WEIGHTS_COMMANDS.items():
            args = tuple(path if arg == "{w}" else arg for arg in template)
            lines = tuple(re.escape(path) + ": " + pattern for pattern in patterns)
            entries.append(Entry(f"weights-{case}-{command}", args, lines))
    entries += [
        Entry(
            "weights-missing",
            WEIGHTS_COMMANDS["predict"][:2] + ("bad/nope.npz", "--x", "0.5"),
            (r"bad/nope\.npz: no such file",),
        ),
        Entry("weights-pipe", ("summary", "bad/fifo.npz"), (r"bad/fifo\.npz: is not a regular file",)),
        Entry("weights-directory", ("summary", "bad/"), (r"bad/?: is a directory",)),
    ]
    return entries


WEIGHTS = _weights_entries()


def _resume(case: str, pattern: str) -> Entry:
    args = ("train", "valid.yaml", "--resume", f"bad/{case}.npz", "--out", "out/run")
    return Entry(f"checkpoint-{case}", args, (rf"--resume: bad/{case}\.npz: {pattern}",))


# Broken files given as the checkpoint to resume from: read by the same hardened nn.state reader.
CHECKPOINTS = [
    _resume("truncated_50", r"not an \.npz file"),
    _resume("flipped_byte", r"key '0\.weight': corrupt member \(BadZipFile: Bad CRC-32"),
    _resume("pickle_payload", r"key '0\.weight': holds Python objects, which can only be read by unpickling"),
    _resume("deflate_bomb", r"key '0\.weight': declares 2684354\d+ bytes uncompressed; the limit is"),
    _resume("deflate_bomb_lying_size", r"key '0\.weight': corrupt member"),
    _resume("nan_value", r"key '0\.bias': contains non-finite values"),
    Entry(
        "checkpoint-weights-file",
        ("train", "valid.yaml", "--resume", "runs/valid/model.npz"),
        (r"runs/valid/model\.npz: --resume: not a checkpoint",),
    ),
]
# Run directories for ``lddl plot RUN_DIR`` with one file broken, and arguments that are not data.
RUNS = [
    Entry(
        "run-broken-model",
        ("plot", "runs/broken", "--out", "out/fit.png"),
        (r"runs/broken/model\.npz: not a weights file",),
    ),
    Entry(
        "run-bad-data",
        ("plot", "runs/bad_data", "--out", "out/fit.png"),
        (r"bad/x_nan\.npy: data\.x: 2 non-finite",),
    ),
    Entry(
        "run-metrics-garbage",
        ("plot", "runs/metrics_garbage"),
        (r"runs/metrics_garbage/metrics\.csv: line 1: expected the header",),
    ),
    Entry(
        "run-metrics-empty",
        ("plot", "runs/metrics_empty"),
        (r"runs/metrics_empty/metrics\.csv: line 1: .*an empty file",),
    ),
    Entry(
        "run-metrics-words",
        ("plot", "runs/metrics_words"),
        (r"runs/metrics_words/metrics\.csv: line 2: 'abc' is not a number",),
    ),
    Entry(
        "run-metrics-short-row",
        ("plot", "runs/metrics_short_row"),
        (r"runs/metrics_short_row/metrics\.csv: line 2: 2 values, expected 5",),
    ),
    Entry(
        "plot-out-missing-folder",
        ("plot", "--weights", "runs/valid/model.npz", "--out", "nodir/fit.png"),
        (r"--out: folder 'nodir' does not exist",),
    ),
    Entry(
        "train-out-is-a-file",
        ("train", "valid.yaml", "--out", "valid.yaml"),
        (r"valid\.yaml: exists and is not a folder",),
    ),
    Entry(
        "train-out-holds-a-run",
        ("train", "valid.yaml", "--out", "runs/catalogue", "--quiet"),
        (r"runs/catalogue: already holds a run; give --overwrite to replace it, or another --out$",),
    ),
    Entry(
        "train-out-is-the-current-folder",
        ("train", "valid.yaml", "--out", ".", "--quiet"),
        (r"\.: the run directory is replaced whole; give a folder of its own with --out$",),
    ),
    Entry(
        "summary-data-file",
        ("summary", "data/x.npy"),
        (r"data/x\.npy: a data file; summary takes a YAML config",),
    ),
    Entry(
        "predict-x-nan",
        ("predict", "--weights", "runs/valid/model.npz", "--x", "nan"),
        (r"--x: expected finite numbers; got nan",),
    ),
    Entry(
        "predict-x-inf",
        ("predict", "--weights", "runs/valid/model.npz", "--x", "0.5", "--x", "-inf", "--x", "inf"),
        (r"--x: expected finite numbers; got -inf \(and 1 more\)",),
    ),
]

CHECKPOINT_HINT = r"this is a checkpoint; use model\.npz from the same folder, or lddl train --resume$"
WEIGHTS_HINT = r"this is a weights file \(model\.npz\); lddl predict --weights, lddl summary and lddl plot"
# An lddl file of the wrong kind: a checkpoint where weights are wanted, weights where a config is.
WRONG_KIND = (
    [
        Entry(
            f"checkpoint-as-weights-{command}",
            tuple("runs/valid/checkpoint.npz" if arg == "{w}" else arg for arg in template),
            (r"runs/valid/checkpoint\.npz: " + CHECKPOINT_HINT,),
        )
        for command, template in WEIGHTS_COMMANDS.items()
    ]
    + [
        Entry(
            f"{command}-given-weights",
            (command, "runs/valid/model.npz"),
            (r"runs/valid/model\.npz: " + WEIGHTS_HINT,),
        )
        for command in ("check", "train")
    ]
    + [
        Entry(
            "check-given-checkpoint",
            ("check", "runs/valid/checkpoint.npz"),
            (r"runs/valid/checkpoint\.npz: " + CHECKPOINT_HINT,),
        ),
        Entry(
            "train-given-checkpoint",
            ("train", "runs/valid/checkpoint.npz", "--out", "out/run"),
            (r"runs/valid/checkpoint\.npz: " + CHECKPOINT_HINT,),
        ),
    ]
)

ENTRIES = CONFIG + DATA + WEIGHTS + CHECKPOINTS + RUNS + WRONG_KIND

# Entries also run through the installed ``lddl`` executable in a subprocess.
SUBPROCESS = [
    "config-python_object_tag",
    "config-alias_bomb",
    "data-pickle_payload",
    "weights-pickle_payload-predict",
    "weights-deflate_bomb-summary",
    "checkpoint-deflate_bomb",
]
