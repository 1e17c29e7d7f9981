"""Generate the binary cases of the bad-input catalogue (the text cases are committed files).

    python tests/bad_inputs/make_bad_inputs.py WORKSPACE --weights model.npz --other-weights other.npz

writes, under WORKSPACE:

- ``data/x.npy``, ``data/y.npy``: a small valid data set (32 rows of y = 2 sin x) that
  ``valid.yaml`` and every file under ``config/`` point at;
- ``bad/*.yaml``: config files that cannot be committed as text (5 MiB, non-UTF-8 bytes);
- ``bad/*.npy``, ``bad/*.csv``: broken data files (pickle payload, wrong ndim, NaN, a header
  declaring 10^12 elements, ...);
- ``bad/*.npz``: broken weights, each derived from ``--weights`` (a model.npz of a small valid
  run); ``--other-weights`` is a run of another architecture;
- ``runs/*``: copies of the valid run (the folder holding ``--weights``) with one file broken.

Payloads that would run code create the folder ``WORKSPACE/pwned`` when executed; the tests
assert that it never appears. ``catalogue.py`` lists what each file must make lddl say.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

MARKER = "pwned"
VALID_ROWS = 32
BOMB_MIB = 2560  # the DEFLATE bomb's member inflates to 2.5 GiB (from about 2.7 MB)


# --- helpers ----------------------------------------------------------------------------------
def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    """Just the .npy magic and header for an array of ``shape`` and ``dtype`` (no data)."""
    buffer = io.BytesIO()
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buffer, header)  # writes the magic too
    return buffer.getvalue()


def pickle_payload_npy(marker: Path) -> bytes:
    """An object-dtype .npy whose pickle stream calls os.mkdir(marker) when unpickled.

    Written opcode by opcode (protocol 0: GLOBAL os.mkdir, MARK, UNICODE path, TUPLE, REDUCE,
    STOP) so that the tests never need the pickle module to build it.
    """
    stream = b"cos\nmkdir\n(V" + str(marker).encode() + b"\ntR."
    return npy_header((1,), "|O") + stream


def read_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def write_members(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def load_member(data: bytes) -> np.ndarray:
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def write_raw_zip(path: Path, entries: list[tuple[str, bytes, int, int, int, int]]) -> None:
    """A zip written field by field: (name, payload, method, crc, true size, size in the directory).

    ``payload`` is already compressed for method 8 (deflate). The size in the central directory
    may differ from the true size, to build a member that lies about what it inflates to.
    """
    out = io.BytesIO()
    central = []
    for name, payload, method, crc, size, declared in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(payload), size, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(payload)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                method,
                0,
                0,
                crc,
                len(payload),
                declared,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for record in central:
        out.write(record)
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), size, start, 0))
    path.write_bytes(out.getvalue())


def deflate_zeros(prefix: bytes, mib: int) -> tuple[bytes, int, int]:
    """(raw DEFLATE stream, CRC-32, size) of ``prefix`` followed by ``mib`` MiB of zero bytes.

    A full flush after each MiB resets the compressor, so every MiB compresses to the same
    bytes: the stream is built from one compressed block repeated, in milliseconds.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(prefix)
    for _ in range(mib):
        crc = zlib.crc32(chunk, crc)
    return head + block * mib + tail, crc, len(prefix) + mib * (1 << 20)


def stored_entries(members: dict[str, bytes]) -> list[tuple[str, bytes, int, int, int, int]]:
    return [(name, data, 0, zlib.crc32(data), len(data), len(data)) for name, data in members.items()]


# --- data and configs -------------------------------------------------------------------------
def write_valid_data(workspace: Path) -> None:
    folder = workspace / "data"
    folder.mkdir(parents=True, exist_ok=True)
    x = np.linspace(-np.pi, np.pi, VALID_ROWS).reshape(-1, 1)
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", 2.0 * np.sin(x))


def write_bad_configs(workspace: Path, valid_config: Path) -> None:
    folder = workspace / "bad"
    folder.mkdir(parents=True, exist_ok=True)
    text = valid_config.read_bytes()
    filler = b"# " + b"padding " * 127 + b"\n"  # 1 KiB comment lines
    (folder / "big_5mib.yaml").write_bytes(text + filler * (5 * 1024 + 1))
    (folder / "non_utf8.yaml").write_bytes(text.replace(b"name: catalogue", b"name: caf\xe9 \xff\xfe"))


def write_pipes(workspace: Path) -> None:
    """Named pipes where files belong: opening one to read would block until a writer comes."""
    folder = workspace / "bad"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("fifo.yaml", "fifo.npy", "fifo.npz"):
        os.mkfifo(folder / name)


def write_bad_data(workspace: Path) -> None:
    folder = workspace / "bad"
    folder.mkdir(parents=True, exist_ok=True)
    x = np.linspace(-np.pi, np.pi, VALID_ROWS).reshape(-1, 1)
    y = 2.0 * np.sin(x)
    (folder / "x_pickled.npy").write_bytes(pickle_payload_npy(workspace / MARKER))
    # An object array of plain floats: harmless content, but it can only be read by unpickling.
    objects = np.empty((VALID_ROWS, 1), dtype=object)
    objects[:, 0] = [float(v) for v in x[:, 0]]
    np.save(folder / "x_object.npy", objects, allow_pickle=True)
    np.save(folder / "x_1d.npy", x[:, 0])
    np.save(folder / "x_3d.npy", x.reshape(VALID_ROWS, 1, 1))
    np.save(folder / "x_short.npy", x[:-1])
    np.save(folder / "x_empty.npy", x[:0])
    np.save(folder / "y_empty.npy", y[:0])
    with_nan = x.copy()
    with_nan[[5, 9], 0] = np.nan
    np.save(folder / "x_nan.npy", with_nan)
    with_inf = y.copy()
    with_inf[3, 0] = np.inf
    np.save(folder / "y_inf.npy", with_inf)
    np.save(folder / "x_str.npy", x.astype("U8"))
    np.save(folder / "x_complex.npy", x.astype(np.complex128))
    (folder / "x_huge_header.npy").write_bytes(npy_header((10**12, 1), "<f8") + bytes(16))
    valid = npy_bytes(x)
    (folder / "x_truncated.npy").write_bytes(valid[: len(valid) - 100])
    (folder / "x_header.csv").write_text("x\n" + "".join(f"{v:.6f}\n" for v in x[:, 0]))
    rows = [f"{v:.6f}" for v in x[:, 0]]
    rows[7] += ",1.0"
    (folder / "x_ragged.csv").write_text("\n".join(rows) + "\n")


# --- weights ----------------------------------------------------------------------------------
def write_bad_weights(workspace: Path, weights: Path, other_weights: Path) -> None:
    folder = workspace / "bad"
    folder.mkdir(parents=True, exist_ok=True)
    raw = weights.read_bytes()
    members = read_members(weights)
    arrays = {name: load_member(data) for name, data in members.items()}

    def variant(name: str, change: dict[str, bytes | None]) -> None:
        new = {key: value for key, value in members.items() if change.get(key, value) is not None}
        new.update({key: value for key, value in change.items() if value is not None})
        write_members(folder / f"{name}.npz", new)

    for percent in (10, 50, 99):
        (folder / f"truncated_{percent}.npz").write_bytes(raw[: len(raw) * percent // 100])
    weight = arrays["0.weight.npy"]
    start = raw.find(weight.tobytes())
    flipped = bytearray(raw)
    flipped[start + weight.nbytes // 2] ^= 0xFF
    (folder / "flipped_byte.npz").write_bytes(bytes(flipped))

    renamed = {("0.wieght.npy" if key == "0.weight.npy" else key): value for key, value in members.items()}
    write_members(folder / "renamed_member.npz", renamed)
    variant("extra_member", {"extra.npy": npy_bytes(np.zeros(3, dtype=weight.dtype))})
    variant("missing_member", {"2.bias.npy": None})
    variant("transposed", {"0.weight.npy": npy_bytes(weight.T.copy())})
    variant("int_dtype", {"0.weight.npy": npy_bytes(weight.astype(np.int64))})
    variant("complex_dtype", {"0.weight.npy": npy_bytes(weight.astype(np.complex128))})
    bias = arrays["0.bias.npy"].copy()
    bias[3] = np.nan
    variant("nan_value", {"0.bias.npy": npy_bytes(bias)})
    variant("pickle_payload", {"0.weight.npy": pickle_payload_npy(workspace / MARKER)})

    # DEFLATE bombs: a member that inflates to 2.5 GiB, declared honestly in the zip directory;
    # and one whose directory claims the size of the real member while the stream inflates far more.
    count = BOMB_MIB * (1 << 20) // weight.itemsize
    header = npy_header((count,), weight.dtype.str)
    stream, crc, size = deflate_zeros(header, BOMB_MIB)
    honest = stored_entries({k: v for k, v in members.items() if k != "0.weight.npy"})
    write_raw_zip(folder / "deflate_bomb.npz", [("0.weight.npy", stream, 8, crc, size, size), *honest])
    small, small_crc, small_size = deflate_zeros(header, 64)
    real = len(members["0.weight.npy"])
    lying = ("0.weight.npy", small, 8, small_crc, small_size, real)
    write_raw_zip(folder / "deflate_bomb_lying_size.npz", [lying, *honest])

    # Weights of another architecture: that run's arrays under this run's metadata.
    other = read_members(other_weights)
    mixed = {key: value for key, value in other.items() if key != "__lddl__.npy"}
    mixed["__lddl__.npy"] = members["__lddl__.npy"]
    write_members(folder / "other_architecture.npz", mixed)

    metadata = json.loads(str(arrays["__lddl__.npy"][()]))

    def with_metadata(name: str, text: str) -> None:
        variant(name, {"__lddl__.npy": npy_bytes(np.array(text))})

    variant("no_metadata", {"__lddl__.npy": None})
    with_metadata("metadata_bad_json", '{"format": 1, "model": ')
    with_metadata("metadata_format", json.dumps({**metadata, "format": 99}))
    layers = json.loads(json.dumps(metadata["model"]["layers"]))
    layers[0]["type"] = "lineer"
    with_metadata(
        "metadata_unknown_layer", json.dumps({**metadata, "model": {**metadata["model"], "layers": layers}})
    )
    huge = json.loads(json.dumps(metadata["model"]["layers"]))
    huge[0].update(in_features=10**9, out_features=10**9)
    huge[2].update(in_features=10**9)
    with_metadata(
        "metadata_huge_layer", json.dumps({**metadata, "model": {**metadata["model"], "layers": huge}})
    )
    (folder / "not_a_zip.npz").write_text("these are not the weights you are looking for\n")
    (folder / "empty.npz").write_bytes(b"")


def write_bad_runs(workspace: Path, valid_run: Path) -> None:
    """Copies of a valid run directory under ``runs/`` with one file broken each, for ``lddl plot``."""
    import shutil

    def copy(name: str) -> Path:
        target = workspace / "runs" / name
        shutil.copytree(valid_run, target)
        return target

    broken = copy("broken")
    (broken / "model.npz").write_bytes((workspace / "bad/truncated_50.npz").read_bytes())
    bad_data = copy("bad_data")
    config = (bad_data / "config.yaml").read_text()
    (bad_data / "config.yaml").write_text(config.replace("x: data/x.npy", "x: bad/x_nan.npy", 1))
    header = (valid_run / "metrics.csv").read_text().splitlines()[0]
    for name, text in {
        "metrics_garbage": "garbage,1\nx\n",
        "metrics_empty": "",
        "metrics_words": f"{header}\n1,abc,,0.1,0.2\n",
        "metrics_short_row": f"{header}\n1,0.5\n",
    }.items():
        (copy(name) / "metrics.csv").write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--weights", type=Path, required=True, help="model.npz of a small valid run")
    parser.add_argument("--other-weights", type=Path, required=True, help="model.npz of another architecture")
    args = parser.parse_args()
    here = Path(__file__).resolve().parent
    write_valid_data(args.workspace)
    write_bad_configs(args.workspace, here / "valid.yaml")
    write_bad_data(args.workspace)
    write_pipes(args.workspace)
    write_bad_weights(args.workspace, args.weights, args.other_weights)
    write_bad_runs(args.workspace, args.weights.parent)


if __name__ == "__main__":
    main()
