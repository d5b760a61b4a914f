"""The configured model run by sentence-transformers (the build's encoder when ONNX is not
possible), and its export to ONNX, checked against the model on probes of several lengths."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .embedding import ModelInfo, quiet_progress_bars, set_threads, whole_words
from .onnx_encoder import OnnxEncoder

log = logging.getLogger(__name__)

EXPORT_TOLERANCE = 1e-4
_PROBES = (
    "What does a medical assistant do?",
    "wats the pay in cali",
    "Medical assistant programs usually take 9 months to 2 years. " * 8,
)


class SentenceTransformerEncoder:
    """The configured model, run by sentence-transformers (used to build the index)."""

    def __init__(self, model: ModelInfo, *, threads: int = 1, progress: bool = True) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        set_threads(threads)
        if not progress:
            quiet_progress_bars()
        from sentence_transformers import SentenceTransformer

        try:
            self.model = SentenceTransformer(str(model.path), device="cpu")
        except Exception as exc:
            raise ModelError(f"cannot load model {model.name!r} from {model.path}: {exc}") from None
        self.info = model
        self.dimension = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        vectors = self.model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=progress, convert_to_numpy=True
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    def known_words(self) -> frozenset[str]:
        return whole_words(self.model.tokenizer.get_vocab())

    def export_onnx(self, folder: Path) -> bool:
        """Write model.onnx, tokenizer.json and encoder.json to `folder`; True if they match this model."""
        try:
            self._export(folder)
            exported = OnnxEncoder(folder)
        except Exception as exc:  # the exporter rejects some architectures; the build then keeps torch
            log.warning(
                "ONNX export of %s failed (%s); questions will be encoded with sentence-transformers", self.info.name, exc
            )
            return False
        probes = list(_PROBES)
        expected = self.encode(probes)
        gap = max(
            float(np.abs(exported.encode(probes) - expected).max()),
            float(np.abs(exported.encode_batched(probes, workers=1) - expected).max()),  # padded, as a build runs it
        )
        if gap > EXPORT_TOLERANCE:
            log.warning("ONNX export of %s differs by %.2g; keeping sentence-transformers", self.info.name, gap)
            return False
        return True

    def _export(self, folder: Path) -> None:
        import torch

        transformer = self.model[0]
        pooling = next((m for m in self.model if type(m).__name__ == "Pooling"), None)
        mode = getattr(pooling, "pooling_mode", None) or ("cls" if getattr(pooling, "pooling_mode_cls_token", False) else "mean")
        if mode not in ("mean", "cls"):
            raise ValueError(f"pooling {mode!r} is not supported by the ONNX encoder")
        backbone = transformer.auto_model.eval()
        tokenizer = self.model.tokenizer
        sample = tokenizer(["a short sample"], return_tensors="pt")
        names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

        class Backbone(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.backbone = backbone

            def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
                return self.backbone(**dict(zip(names, inputs))).last_hidden_state

        folder.mkdir(parents=True, exist_ok=True)
        axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
        # The tracer warns about shapes it records as constants; the export is checked against the
        # model on probes of several lengths afterwards (export_onnx), so the warnings are noise.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Backbone(),
                tuple(sample[n] for n in names),
                str(folder / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        tokenizer.backend_tokenizer.save(str(folder / "tokenizer.json"))
        config = {
            "inputs": names,
            "pooling": mode,
            "normalize": True,
            "max_tokens": int(self.model.max_seq_length or 256),
            "dimension": self.dimension,
        }
        (folder / "encoder.json").write_text(json.dumps(config, indent=2), encoding="utf-8")


def export_onnx_apart(model: ModelInfo, folder: Path, *, progress: bool = False) -> bool:
    """`SentenceTransformerEncoder.export_onnx` in a child interpreter: the build then embeds with
    ONNX Runtime and its own process never holds torch and the model (~0.5 GB). A plain subprocess
    (not multiprocessing), so callers need no `if __name__ == "__main__"` guard."""
    import subprocess
    import sys

    code = "import sys; from chatbot.index.torch_encoder import _export_main; sys.exit(_export_main(sys.argv[1:]))"
    args = [model.name, str(model.path), model.weights_sha256, str(folder), "1" if progress else "0"]
    env = {**os.environ, "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1"), "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run([sys.executable, "-c", code, *args], stderr=subprocess.PIPE, text=True, env=env, check=False)
    if result.returncode not in (0, _EXPORT_MISMATCH):
        lines = result.stderr.strip().splitlines() or [f"exit code {result.returncode}"]
        raise ModelError(f"exporting model {model.name!r} to ONNX failed: {lines[-1]}")
    sys.stderr.write(result.stderr)  # the child's warnings and progress bars
    return result.returncode == 0


_EXPORT_MISMATCH = 3  # the child's exit code when the export does not give the model's vectors


def _export_main(argv: list[str]) -> int:
    """The child of `export_onnx_apart`: 0 when the export matches the model, _EXPORT_MISMATCH when not."""
    name, path, sha, folder, progress = argv
    logging.basicConfig(format="%(message)s")
    encoder = SentenceTransformerEncoder(ModelInfo(name, Path(path), sha), progress=progress == "1")
    return 0 if encoder.export_onnx(Path(folder)) else _EXPORT_MISMATCH
