"""What the build saves instead of the load recomputing it (BM25, the glossary) loads back equal to
what the load used to compute, and answers on the real guide are the same as with the old way."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chatbot.answering.assistant import Assistant
from chatbot.guide.chunking import chunk_documents
from chatbot.guide.corpus import load_corpus
from chatbot.guide.glossary import GLOSSARY, Glossary
from chatbot.guide.places import states_named
from chatbot.guide.query import Reader
from chatbot.index.lexical import LEXICAL, LexicalIndex
from chatbot.index.load import live_folder, load_index
from chatbot.index.onnx_encoder import OnnxEncoder
from conftest import BANK, ROOT

FIXTURES = sorted((ROOT / "tests" / "fixtures").glob("questions*.jsonl"))


def labelled_questions(paths=(BANK, *FIXTURES)) -> list[str]:
    """Every question of the bank and the fixture sets, read at run time (never copied into code)."""
    questions = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and "question" in (item := json.loads(line)):  # a bank's housekeeping marks hold none
                questions.append(item["question"])
    return questions


def old_bm25_scores(passages, queries: list[str]) -> list[np.ndarray]:
    """BM25 as the load computed it before the build saved it: bm25s indexed at load, queried by get_scores."""
    import bm25s
    import Stemmer

    from chatbot.guide.text import STOPWORDS
    from chatbot.index.lexical import _TOKEN

    stemmer = Stemmer.Stemmer("english")
    stopwords = sorted(STOPWORDS | set(bm25s.stopwords.STOPWORDS_EN))
    model = bm25s.BM25()
    documents = [" ".join(p.section) + "\n" + p.text for p in passages]
    model.index(bm25s.tokenize(documents, stopwords=stopwords, stemmer=stemmer, show_progress=False), show_progress=False)
    out = []
    for query in queries:
        words = [w for w in _TOKEN.findall(query.lower()) if w not in set(stopwords)]
        tokens = [t for t in stemmer.stemWords(words) if t in model.vocab_dict]
        out.append(np.asarray(model.get_scores(tokens), dtype=np.float32) if tokens else np.zeros(len(passages), np.float32))
    return out


@pytest.fixture(scope="module")
def guide_passages(real_settings):
    return chunk_documents(load_corpus(real_settings.corpus_dir))


def test_saved_bm25_scores_every_question_bit_for_bit_as_bm25s_did(real_settings, guide_passages):
    saved = LexicalIndex.load(live_folder(real_settings.index_dir) / LEXICAL)
    queries = labelled_questions() + [p.text for p in guide_passages] + ["", "the and of", "zzzz unknownword"]
    for query, expected in zip(queries, old_bm25_scores(guide_passages, queries)):
        np.testing.assert_array_equal(saved.scores(query), expected, err_msg=query)
    assert saved.size == len(guide_passages)


def test_lexical_index_saves_and_loads_every_array(tmp_path, guide_passages):
    built = LexicalIndex.build(guide_passages)
    built.save(tmp_path / LEXICAL)
    loaded = LexicalIndex.load(tmp_path / LEXICAL)
    assert loaded.words == built.words and loaded.stopwords == built.stopwords and loaded.size == built.size
    for name in ("data", "indices", "indptr"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(built, name))


def test_saved_glossary_equals_what_the_load_computed(real_settings, guide_passages):
    index = load_index(real_settings)
    old_reader = Reader.for_guide(guide_passages, index.encoder.known_words())
    old_states = frozenset(states_named(" ".join(p.text for p in guide_passages)))
    saved = Glossary.load(live_folder(real_settings.index_dir) / GLOSSARY)
    assert saved == index.glossary
    assert saved.vocabulary == old_reader.vocabulary and len(saved.vocabulary) > 500
    assert saved.topic == old_reader.topic == "medical assistant"
    assert saved.states == old_states and "California" in saved.states
    assert saved.reader(index.encoder.known_words()) == old_reader


def test_glossary_round_trip_and_bad_fields(tmp_path):
    glossary = Glossary(frozenset({"pay", "clinic"}), "dog walker", frozenset({"Texas"}))
    glossary.save(tmp_path / GLOSSARY)
    assert Glossary.load(tmp_path / GLOSSARY) == glossary
    (tmp_path / GLOSSARY).write_text('{"topic": 5, "states": [], "vocabulary": []}', encoding="utf-8")
    with pytest.raises(ValueError):
        Glossary.load(tmp_path / GLOSSARY)
    (tmp_path / GLOSSARY).write_text('{"topic": ""}', encoding="utf-8")
    with pytest.raises(KeyError):
        Glossary.load(tmp_path / GLOSSARY)


def test_answers_on_the_real_guide_are_those_of_the_old_load(assistant, guide_passages):
    """The Assistant reads questions with the saved glossary and BM25; one set up the old way (both
    recomputed from the passages) gives every labelled question the same answer."""
    old = Assistant(assistant.index)
    old.reader = Reader.for_guide(guide_passages, assistant.index.encoder.known_words())
    old.states = frozenset(states_named(" ".join(p.text for p in guide_passages)))
    questions = labelled_questions(FIXTURES)
    scores = old_bm25_scores(guide_passages, [assistant.reader.read(q).lexical for q in questions])
    for question, expected in zip(questions, scores):
        np.testing.assert_array_equal(assistant.retriever.lexical.scores(assistant.reader.read(question).lexical), expected)
        new, before = assistant.ask(question).to_dict(), old.ask(question).to_dict()
        new.pop("timings_ms", None), before.pop("timings_ms", None)
        assert new == before, question


def test_bulk_encoding_gives_the_query_encoders_vectors(real_settings, guide_passages):
    folder = live_folder(real_settings.index_dir) / "encoder"
    texts = [s for p in guide_passages[:12] for s in p.sentences] + [p.text for p in guide_passages[:12]] + ["a", ""]
    one_by_one = OnnxEncoder(folder).encode(texts)
    for workers, chunk in ((1, 8192), (2, 8192), (2, 7)):  # a chunk of 7: tokenized ahead while the model runs
        bulk = OnnxEncoder(folder, bulk=True).encode_batched(texts, workers=workers, chunk=chunk)
        np.testing.assert_allclose(bulk, one_by_one, atol=1e-5)
