"""py3langid's model, kept unpacked: the packaged file is LZMA-compressed and took 0.27-0.42 s to
unpack at every start of `ask`. After the first use its arrays are saved, uncompressed, in the model
cache (`Settings.model_cache`, beside the fine-tuned models) and later starts map them instead.
Anything unexpected (another py3langid layout, a damaged or unwritable cache) falls back to the
packaged file, so the identifier is always py3langid's own."""

from __future__ import annotations

import logging
import os
import shutil
from array import array
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

_ARRAYS = ("ptc", "pc", "classes", "nextmove", "row", "output")


def identifier(cache: Path | None = None):
    """py3langid's LanguageIdentifier (probabilities normalized), from the unpacked copy when there is one."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    folder = unpacked_folder(cache)
    try:
        return _mapped(folder, LanguageIdentifier)
    except (OSError, ValueError, KeyError, TypeError):
        pass
    packaged = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    _unpack(packaged, folder)
    return packaged


def unpacked_folder(cache: Path | None = None) -> Path:
    """Where the unpacked arrays of this py3langid version are kept."""
    from importlib.metadata import version

    from ..settings import Settings

    return (cache or Settings.from_env().model_cache) / f"py3langid-{version('py3langid')}"


def _mapped(folder: Path, cls):
    load = {name: np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
    return cls(
        load["ptc"],
        np.asarray(load["pc"]),
        load["classes"].tolist(),
        array(str(load["nextmove"].dtype.char), load["nextmove"].tobytes()),
        load["output"].tolist(),
        norm_probs=True,
        tk_row=array(str(load["row"].dtype.char), load["row"].tobytes()),
    )


def _unpack(packaged, folder: Path) -> None:
    """Save the identifier's arrays in `folder` (best effort: a read-only cache is unpacked again next time)."""
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}")
    try:
        arrays = {
            "ptc": np.asarray(packaged.nb_ptc),
            "pc": np.asarray(packaged.nb_pc),
            "classes": np.array(packaged.nb_classes),
            "nextmove": np.frombuffer(packaged.tk_nextmove, dtype=packaged.tk_nextmove.typecode),
            "row": np.frombuffer(packaged.tk_row, dtype=packaged.tk_row.typecode),
            "output": np.asarray(packaged.tk_output),
        }
        if arrays["output"].dtype == object:
            return
        temporary.mkdir(parents=True)
        for name, values in arrays.items():
            np.save(temporary / f"{name}.npy", values, allow_pickle=False)
        os.rename(temporary, folder)
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        log.debug("py3langid's model not unpacked (%s)", exc)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
