"""Fine-tune the embedding model on the bank: each answered question is pulled towards the text of
the passage that answers it, and away from the other passages of its batch
(sentence-transformers' MultipleNegativesRankingLoss, in-batch negatives).

The result is a model folder like any other; `build-index --model FOLDER` uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from dataclasses import dataclass
from pathlib import Path

from .bank import BankQuestion
from .chunking import Passage
from .neighbours import answering_passages

log = logging.getLogger(__name__)


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


def fine_tune(base: Path, pairs: list[tuple[str, str]], out: Path, training: Training = Training(), *, threads: int = 2) -> Path:
    """Train a copy of the model at `base` on `pairs` and save it to `out` (written aside, then moved)."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    torch.manual_seed(training.seed)
    torch.set_num_threads(threads)
    model = SentenceTransformer(str(base), device="cpu")
    loss = MultipleNegativesRankingLoss(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=training.learning_rate)
    model.train()
    for epoch in range(training.epochs):
        total = 0.0
        for batch in batches(pairs, training.batch_size, training.seed + epoch):
            features = [model.tokenize([a for a, _ in batch]), model.tokenize([p for _, p in batch])]
            value = loss(features, None)
            optimizer.zero_grad()
            value.backward()
            optimizer.step()
            total += float(value)
        log.info("fine-tuning epoch %d/%d: loss %.4f", epoch + 1, training.epochs, total)
    model.eval()
    staging = out.with_name(out.name + ".tmp")
    model.save(str(staging))
    staging.rename(out)
    return out
