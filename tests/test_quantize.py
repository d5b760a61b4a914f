"""The int8 encoder: a build option, quantized once per float export (kept in the model cache by its
hash), its vectors never mixed with the float model's, and the choice kept until another is asked for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chatbot.errors import ModelError
from chatbot.index.build import build_index
from chatbot.index.load import ENCODER, live_folder, load_index
from chatbot.index.manifest import rebuild_hint, staleness
from chatbot.index.quantize import chosen, vector_key


def total_texts(settings) -> int:
    from test_index import total_texts as count

    return count(settings)


@pytest.mark.parametrize(("asked", "used"), [(None, "none"), ("none", "none"), ("int8", "int8")])
def test_a_build_uses_the_quantization_asked_for_else_float(asked, used):
    assert chosen(asked) == used


def test_an_unknown_quantization_is_one_clear_error():
    with pytest.raises(ModelError, match="'int4' is not one of none, int8"):
        chosen("int4")


def test_int8_vectors_are_keyed_apart_from_float_ones():
    assert vector_key("abc", "none") == "abc"
    assert vector_key("abc", "int8") == "abc+int8"


def test_an_int8_build_is_quantized_once_and_kept(tiny_index, tmp_path):
    int8 = replace(tiny_index, quantize="int8")
    float_manifest = load_index(tiny_index).manifest
    assert float_manifest.quantize == "none"
    assert staleness(int8, float_manifest) == "the index was built with quantize 'none', not 'int8'"
    assert "--quantize int8" in rebuild_hint(int8)

    report = build_index(int8)
    assert (report.built, report.embedded, report.reused) == (True, total_texts(tiny_index), 0)  # no float vector reused
    index = load_index(int8)
    (cached,) = sorted(tiny_index.model_cache.glob("onnx-int8-*.onnx"))
    model = live_folder(tiny_index.index_dir) / ENCODER / "model.onnx"
    assert index.manifest.quantize == "int8" and model.read_bytes() == cached.read_bytes()
    assert index.encoder.encode(["pay"]).shape == (1, index.manifest.dimension)
    assert np.isclose(np.linalg.norm(index.encoder.encode(["night shifts"])), 1.0)

    # kept while no other is asked for; a forced rebuild reuses its vectors
    assert build_index(replace(tiny_index, quantize=None)).built is False
    again = build_index(replace(tiny_index, quantize=None), force=True)
    assert (again.embedded, load_index(int8).manifest.quantize) == (0, "int8")

    # another index of the same model takes the quantized file from the cache
    written = cached.stat().st_mtime_ns
    other = replace(int8, index_dir=tmp_path / "other-index")
    build_index(other)
    assert sorted(tiny_index.model_cache.glob("onnx-int8-*.onnx")) == [cached] and cached.stat().st_mtime_ns == written

    back = build_index(replace(tiny_index, quantize="none"))
    assert (back.embedded, back.reused, load_index(tiny_index).manifest.quantize) == (total_texts(tiny_index), 0, "none")
