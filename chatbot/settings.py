"""One settings object, built from environment variables and overridden by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

from .errors import ChatbotError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = "all-MiniLM-L6-v2"
QUANTIZE_CHOICES = ("none", "int8")
# not paths
PLAIN = ("model", "fine_tune", "quantize", "trust_model", "rate_limit", "rate_burst", "trusted_proxies", "retention_days")


@dataclass(frozen=True)
class Settings:
    """Where the corpus and index live and which model embeds them."""

    corpus_dir: Path = ROOT / "corpus"
    index_dir: Path = ROOT / "index"
    model: str = DEFAULT_MODEL
    feedback_db: Path | str = ROOT / "feedback.sqlite3"  # a file, or a postgresql:// URL shared by replicas
    fine_tune: bool = True  # fine-tune the model on the question bank at build time (README, "Model choice")
    # the exported encoder's weights: "none" (float) or "int8" (ONNX Runtime dynamic quantization;
    # docs/benchmarks.md); None keeps what the index was built with ("none" for a first build)
    quantize: str | None = None
    trust_model: bool = False  # use a known model whose weights are not the publisher's (build-index --trust-model)
    model_cache: Path = ROOT / "index" / "models"  # fine-tuned and unpacked models, by content hash
    rate_limit: float = 30.0  # questions a minute a client may ask (chat and /v1/ask); 0: no limit (throttle.py)
    rate_burst: int = 10  # questions a client may ask at once after a pause
    trusted_proxies: tuple[str, ...] = ()  # balancers whose X-Forwarded-For names the client
    retention_days: float = 180.0  # stored questions older than this are purged (retention.py)

    @classmethod
    def from_env(cls, **overrides: str | Path | None) -> Settings:
        """Read `CHATBOT_*` variables, then apply non-None keyword overrides."""
        env = os.environ
        settings = cls(
            corpus_dir=Path(env.get("CHATBOT_CORPUS_DIR", cls.corpus_dir)),
            index_dir=Path(env.get("CHATBOT_INDEX_DIR", cls.index_dir)),
            model=env.get("CHATBOT_MODEL", cls.model),
            feedback_db=feedback_target(env.get("CHATBOT_FEEDBACK_DB", cls.feedback_db)),
            fine_tune=env.get("CHATBOT_FINE_TUNE", "1").strip().lower() not in ("0", "false", "no", "off"),
            quantize=env.get("CHATBOT_QUANTIZE") or None,
            model_cache=Path(env.get("CHATBOT_MODEL_CACHE", cls.model_cache)),
            rate_limit=_number(env, "CHATBOT_RATE_LIMIT", cls.rate_limit, float),
            rate_burst=_number(env, "CHATBOT_RATE_BURST", cls.rate_burst, int),
            trusted_proxies=tuple(a.strip() for a in env.get("CHATBOT_TRUSTED_PROXIES", "").split(",") if a.strip()),
            retention_days=_number(env, "CHATBOT_RETENTION_DAYS", cls.retention_days, float),
        )
        return settings.with_overrides(**overrides)

    def with_overrides(self, **overrides: str | Path | None) -> Settings:
        """Return a copy with every non-None override applied (paths coerced to Path)."""
        changes: dict[str, str | Path] = {}
        for key, value in overrides.items():
            if value is None:
                continue
            if key == "feedback_db":
                changes[key] = feedback_target(value)
            else:
                changes[key] = value if key in PLAIN else Path(value)
        return replace(self, **changes)


def _number(env, name: str, default, kind: type):
    """The variable `name` read as a `kind` (int or float), or `default` when unset or empty."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return kind(text)
    except ValueError:
        noun = "a whole number" if kind is int else "a number"
        raise ChatbotError(f"{name} must be {noun}, not {text!r}") from None


def feedback_target(value: str | Path) -> Path | str:
    """A feedback database as given: a URL stays text (a Path would fold its `//`), anything else is a path."""
    return value if isinstance(value, str) and "://" in value else Path(value)
