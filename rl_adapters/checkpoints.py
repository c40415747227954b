"""Agent checkpoints on disk: a numpy ``.npz`` archive of float arrays plus one JSON
string, read as untrusted data.

Reading never unpickles (``allow_pickle=False``), and every way a file can fail to be a
checkpoint — not an archive, a single ``.npy`` array, an archive of other things, a
missing entry, metadata that is not a JSON object, an array that is not numeric or not
finite — is a ``ValueError`` that names the file. What the entries must *mean* (shapes
that fit the environment, the hyper-parameters an agent takes) is checked by the agent.
"""

import contextlib
import json
import os
import zipfile
from collections.abc import Sequence
from typing import IO, Any

import numpy as np

META = "meta"


def read_checkpoint(
    path: str | os.PathLike[str], arrays: Sequence[str]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metadata, {name: float64 array}) of the checkpoint at ``path``, which must hold
    ``meta`` (a JSON object) and every array in ``arrays``, each numeric and finite.

    Raises
    ------
    OSError
        When the file cannot be read at all (FileNotFoundError when there is none).
    ValueError
        Naming the file, when it is not such a checkpoint.
    """
    name = os.fspath(path)
    # Our own handle, closed whatever happens: np.load leaks the one it opens when the
    # archive turns out truncated.
    with open(name, "rb") as handle:
        raw = _entries(handle, (META, *arrays), name)
    return _metadata(raw.pop(META), name), {k: _finite(k, v, name) for k, v in raw.items()}


def _entries(handle: IO[bytes], keys: Sequence[str], name: str) -> dict[str, np.ndarray]:
    try:
        data = np.load(handle, allow_pickle=False)
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:  # an OSError is the disk's
        # numpy says "pickled data" about anything it cannot parse (a text file, say):
        # what the user needs to know is that the file is not a checkpoint.
        raise ValueError(
            f"{name}: not a checkpoint (not an .npz archive numpy can read: {exc})"
        ) from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{name}: not a checkpoint (a single array, not an .npz archive)")
    with data:
        missing = [k for k in keys if k not in data.files]
        if missing:
            raise ValueError(
                f"{name}: not a checkpoint of rl_adapters: no {', '.join(missing)} in the archive"
            )
        return {k: _entry(data, k, name) for k in keys}


def _entry(data: np.lib.npyio.NpzFile, key: str, name: str) -> np.ndarray:
    try:
        return data[key]
    except (ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"{name}: {key} cannot be read without unpickling, or is damaged: {exc}"
        ) from None


def _metadata(array: np.ndarray, name: str) -> dict[str, Any]:
    if array.ndim != 0 or array.dtype.kind != "U":
        raise ValueError(
            f"{name}: meta must be a JSON string, got an array of dtype "
            f"{array.dtype} and shape {array.shape}"
        )
    try:
        meta = json.loads(str(array))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: meta is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise ValueError(f"{name}: meta must be a JSON object, got {type(meta).__name__}")
    return meta


def _finite(key: str, array: np.ndarray, name: str) -> np.ndarray:
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{name}: {key} must be a numeric array, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: {key} has non-finite entries")
    return array


def write_checkpoint(
    path: str | os.PathLike[str], meta: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """Write ``meta`` (as JSON) and ``arrays`` to ``path`` atomically: to a new file in the
    same folder (created if missing), flushed to disk, then renamed over ``path``. A
    failure leaves ``path`` as it was and no temporary file behind.

    The file is created with mode 0666 less the umask, like every other output (the CSV
    log, the plots), not 0600 as :func:`tempfile.mkstemp` would make it.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{os.urandom(6).hex()}.tmp")
    # O_EXCL: never write through a file (or link) that is already there.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            # numpy's stub types **kwds like its allow_pickle: bool, which no array matches
            np.savez(handle, **{META: np.array(json.dumps(meta))}, **arrays)  # type: ignore[arg-type]
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):  # keep the error that matters
            os.unlink(temporary)
        raise
