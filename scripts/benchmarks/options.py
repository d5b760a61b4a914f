"""What the bench asks and how often: the 30 questions, the sizes and repeats, the model."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path

from chatbot.settings import Settings

# Career questions written for the benchmark (typos, slang, out-of-scope and advice included).
QUESTIONS = (
    "What does a medical assistant do on a typical day?",
    "how much money do MAs make an hour",
    "Is certification required to work as a medical assistant?",
    "What's the difference between a medical assistant and a nurse?",
    "how long does MA school take",
    "Can I become a medical assistant without a high school diploma?",
    "what clinical tasks do medical assistants perform",
    "Which administrative duties are part of the job?",
    "Do medical assistants draw blood?",
    "What soft skills make a good medical assistant?",
    "Where can a medical assistant find work besides a doctor's office?",
    "Is the demand for medical assistants growing?",
    "What is the CMA exam and who offers it?",
    "medical asistant vs physician assistent",
    "Are online medical assistant programs legit?",
    "What does an externship involve?",
    "Can a CNA become a medical assistant?",
    "Do MAs work weekends or night shifts?",
    "What is the salary range in big cities compared with rural areas?",
    "Is being a medical assistant a good first step toward nursing?",
    "Which certification should I get, RMA or CCMA?",
    "Do I need to know electronic health records software?",
    "what personality traits help in this job",
    "How stressful is working as a medical assistant?",
    "Can medical assistants give injections?",
    "Will employers pay for my certification?",
    "what are the career advancement options after a few years",
    "How much does a medical assistant program cost?",
    "What is the best programming language for web apps?",
    "I have a rash on my arm, what cream should I use?",
)


@dataclass(frozen=True)
class BenchOptions:
    """How much to measure; `quick()` is the smoke-test size."""

    repeats: int = 5  # warm passes over QUESTIONS
    cold_runs: int = 7
    rebuild_runs: int = 5
    synthetic_passages: int = 2_000
    large_passages: int = 100_000
    encode_texts: int = 4_000  # texts of the bulk-encode comparison (encoding.py)
    serve: bool = True
    profile: bool = True
    python: str = sys.executable
    seed: int = 0

    @classmethod
    def quick(cls, **changes) -> BenchOptions:
        quick = cls(
            repeats=1, cold_runs=1, rebuild_runs=1, synthetic_passages=30, large_passages=2_500, encode_texts=200, profile=False
        )
        return replace(quick, **changes)


def model_path() -> Path:
    """The sentence-transformers model the index is built from (the baselines load it too)."""
    from chatbot.index.embedding import resolve_model

    return resolve_model(Settings().model).path
