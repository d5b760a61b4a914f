"""Which sentences of the guide are its housekeeping, found at build time: an advertisement, a call
to action, a remark about the article itself. Such a sentence is never quoted as an answer (see
`answering/selection.py`).

The bank marks a few (`{"housekeeping": "<sentence>"}`); a logistic model over FEATURES, fitted on
those marks against every other sentence of the guide, finds the rest:

- `outlier`: how far the sentence's vector is from the mean of the other sentences of its passage;
- `own_words`: the share of its content words the guide uses in no other sentence ("staffing");
- `unasked`: how far it is from the nearest answered bank question (nobody asks about an advert);
- `addresses_reader`: the share of its words in the first or second person ("we'll", "you");
- `edge`: how near it is to either end of its document, where openings and sign-offs sit.

Its threshold is fitted by cross-validation: held-out probabilities of unmarked sentences set it so
that at most FLAG_BOUND of them are flagged; `cv` records how many held-out marks it still finds.
A sentence that some answered bank question is nearest to is content, never flagged (the marks
stay housekeeping whatever is asked: a question about an advert's own words may still see it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..guide.chunking import Passage
from ..guide.text import content_words, stems, tokens

FEATURES = ("outlier", "own_words", "unasked", "addresses_reader", "edge")
FLAG_BOUND = 0.01  # share of unmarked sentences (held out) the fitted threshold may flag
MIN_MARKS = 3  # marks needed before a model is fitted; with fewer only the marks themselves count
# Words of the first and second person: a closed class of the grammar, not a list of phrases.
PERSONAL = frozenset("i me my mine we us our ours you your yours".split())


@dataclass(frozen=True)
class Found:
    """The guide's housekeeping sentences (the marks and those the model found) and how the model did."""

    sentences: frozenset[str]
    cv: dict[str, float] = field(default_factory=dict)
    fitted_on: str = "not fitted"


def features(passages: Sequence[Passage], vectors: np.ndarray, similarity: np.ndarray) -> np.ndarray:
    """(sentence, FEATURES) for every sentence of `passages` in order; `vectors` are the sentences'
    unit vectors in that order, `similarity` their cosines with the answered bank questions
    (sentence, question)."""
    sentences = [s for p in passages for s in p.sentences]
    words = [stems(content_words(s)) for s in sentences]
    used = Counter(w for sentence in words for w in sentence)
    unasked = 1.0 - similarity.max(axis=1) if similarity.size else np.zeros(len(sentences))
    rows: list[list[float]] = []
    start = 0
    for passage, position, length in _positions(passages):
        count = len(passage.sentences)
        block = vectors[start : start + count]
        for j in range(count):
            others = np.delete(block, j, axis=0)
            outlier = 1.0 - float(block[j] @ _unit(others.mean(axis=0))) if len(others) else 0.0
            own = words[start + j]
            spoken = tokens(passage.sentences[j])
            rows.append(
                [
                    outlier,
                    sum(used[w] == 1 for w in own) / len(own) if own else 0.0,
                    float(unasked[start + j]),
                    sum(w in PERSONAL for w in spoken) / len(spoken) if spoken else 0.0,
                    _edge(position + j, length),
                ]
            )
        start += count
    return np.asarray(rows, dtype=np.float32).reshape(len(sentences), len(FEATURES))


def find_housekeeping(passages: Sequence[Passage], vectors: np.ndarray, asked: np.ndarray, marks: frozenset[str]) -> Found:
    """The marks, and the sentences a model fitted on them flags (see the module's docstring)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    sentences = [s for p in passages for s in p.sentences]
    labels = np.array([s in marks for s in sentences])
    if labels.sum() < MIN_MARKS:
        return Found(marks, fitted_on=f"not fitted: {int(labels.sum())} marked sentences, {MIN_MARKS} needed")
    similarity = vectors @ asked.T
    x = features(passages, vectors, similarity)
    held_out = np.zeros(len(sentences))
    folds = StratifiedKFold(n_splits=min(5, int(labels.sum())), shuffle=True, random_state=0)
    for train, test in folds.split(x, labels):
        model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(x[train], labels[train])
        held_out[test] = model.predict_proba(x[test])[:, 1]
    threshold = float(np.quantile(held_out[~labels], 1.0 - FLAG_BOUND))
    # held out, so an unmarked sentence's own label never pulls it down; and never one a bank question leads to
    answers = np.zeros(len(sentences), dtype=bool)
    if similarity.size:
        answers[similarity.argmax(axis=0)] = True
    found = labels | ((held_out > threshold) & ~answers)
    cv = {
        "marks_found": round(float((held_out[labels] > threshold).mean()), 4),
        "others_flagged": round(float(found[~labels].mean()), 4),
        "threshold": round(threshold, 4),
    }
    flagged = frozenset(s for s, hit in zip(sentences, found) if hit)
    return Found(marks | flagged, cv, f"{int(labels.sum())} marked of {len(sentences)} sentences, {folds.n_splits} folds")


def _positions(passages: Sequence[Passage]):
    """Each passage with the position of its first sentence within its document and the document's length."""
    lengths: Counter[str] = Counter()
    for passage in passages:
        lengths[passage.source] += len(passage.sentences)
    seen: Counter[str] = Counter()
    for passage in passages:
        yield passage, seen[passage.source], lengths[passage.source]
        seen[passage.source] += len(passage.sentences)


def _edge(position: int, length: int) -> float:
    """1 at a document's first or last sentence, 0 in its middle."""
    if length < 2:
        return 1.0
    share = position / (length - 1)
    return 1.0 - 2.0 * min(share, 1.0 - share)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
