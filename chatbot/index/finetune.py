"""Fine-tune the embedding model on the bank: each answered question is pulled towards the text of
the passage that answers it, and away from the other passages of its batch
(sentence-transformers' MultipleNegativesRankingLoss, in-batch negatives).

The result is a model folder like any other; `build-index --model FOLDER` uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..guide.bank import BankQuestion
from ..guide.chunking import Passage
from .embedding import ModelInfo, quiet_progress_bars, weights_sha256
from .neighbours import answering_passages

log = logging.getLogger(__name__)

PREFIX = "fine-tuned-"
KEEP = 2  # fine-tuned models kept in the cache (the newest), so two index folders can alternate


@dataclass(frozen=True)
class Training:
    """How the model is fine-tuned (part of the cache key)."""

    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 2e-5
    seed: int = 13


def training_pairs(bank: list[BankQuestion], passages: list[Passage]) -> list[tuple[str, str]]:
    """(question, passage text) for every answered bank question and each passage of its section."""
    return [(q.question, passages[pid].text) for q in bank if q.answered for pid in answering_passages(q.section, passages)]


def batches(pairs: list[tuple[str, str]], size: int, seed: int) -> list[list[tuple[str, str]]]:
    """Shuffled batches in which no passage appears twice (a repeat would be its own negative)."""
    rng = random.Random(seed)
    pending = pairs[:]
    rng.shuffle(pending)
    out: list[list[tuple[str, str]]] = []
    while pending:
        batch, seen, rest = [], set(), []
        for pair in pending:
            if len(batch) < size and pair[1] not in seen:
                batch.append(pair)
                seen.add(pair[1])
            else:
                rest.append(pair)
        out.append(batch)
        pending = rest
    return out


def cache_key(model_sha256: str, pairs: list[tuple[str, str]], training: Training) -> str:
    """The content hash of a fine-tuned model: the base weights, the pairs and the settings."""
    digest = hashlib.sha256(model_sha256.encode())
    digest.update(json.dumps([pairs, training.__dict__], ensure_ascii=False).encode())
    return digest.hexdigest()[:16]


def fine_tuned(
    base: ModelInfo,
    bank: list[BankQuestion],
    passages: list[Passage],
    cache: Path,
    *,
    training: Training | None = None,
    progress: bool = False,
) -> ModelInfo:
    """`base` fine-tuned on the bank, from the cache when the same base, pairs and settings were
    trained before; `base` itself when the bank has no answered question."""
    training = training or Training()
    pairs = training_pairs(bank, passages)
    if not pairs:
        return base
    folder = cache / f"{PREFIX}{cache_key(base.weights_sha256, pairs, training)}"
    if not (folder / "model.safetensors").is_file():
        log.info("fine-tuning %s on %d bank pairs (cached in %s)", base.name, len(pairs), folder)
        cache.mkdir(parents=True, exist_ok=True)
        fine_tune(base.path, pairs, folder, training, progress=progress)
    folder.touch()
    for old in sorted(cache.glob(f"{PREFIX}*"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
    return ModelInfo(name=base.name, path=folder, weights_sha256=weights_sha256(folder))


def fine_tune(
    base: Path,
    pairs: list[tuple[str, str]],
    out: Path,
    training: Training | None = None,
    *,
    threads: int = 2,
    progress: bool = False,
) -> Path:
    """Train a copy of the model at `base` on `pairs` and save it to `out` (written aside, then moved).
    Two torch threads: training is a build step, with the machine's two cores to itself."""
    training = training or Training()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    if not progress:
        quiet_progress_bars()
    torch.manual_seed(training.seed)
    torch.set_num_threads(threads)
    model = SentenceTransformer(str(base), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=training.learning_rate)
    model.train()
    from tqdm.auto import tqdm

    for epoch in range(training.epochs):
        total = 0.0
        steps = batches(pairs, training.batch_size, training.seed + epoch)
        for batch in tqdm(steps, desc=f"fine-tuning on the bank, epoch {epoch + 1}/{training.epochs}", disable=not progress):
            features = [model.tokenize([a for a, _ in batch]), model.tokenize([p for _, p in batch])]
            value = loss(features, None)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += value.item()
        log.info("fine-tuning epoch %d/%d: loss %.4f", epoch + 1, training.epochs, total)
    model.eval()
    staging = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    model.save(str(staging))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return out
