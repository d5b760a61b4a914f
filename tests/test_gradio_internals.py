"""Gradio's internals the server relies on (`chatbot/web/gradio_internals.py`) still exist with the
shapes used there: an upgrade of Gradio that changes one fails here, by name, not in production."""

from __future__ import annotations

import asyncio
import inspect

import pytest

gr = pytest.importorskip("gradio")

from chatbot.web import gradio_internals  # noqa: E402


def test_blocks_process_api_takes_the_event_its_inputs_and_the_session_state():
    process_api = gr.Blocks.process_api
    assert inspect.iscoroutinefunction(process_api)
    assert list(inspect.signature(process_api).parameters)[:4] == ["self", "block_fn", "inputs", "state"]


def test_wrapping_the_events_of_an_app_happens_once():
    demo = gr.Blocks()
    original = demo.process_api
    calls = []

    def wrap(process_api):
        async def wrapped(block_fn, inputs, state=None, *args, **kwargs):
            calls.append(block_fn)
            return "wrapped"

        return wrapped

    gradio_internals.wrap_events(demo, wrap)
    gradio_internals.wrap_events(demo, wrap)  # launched again: not wrapped twice
    assert demo.process_api is not original and asyncio.run(demo.process_api("fn", [])) == "wrapped" and calls == ["fn"]


def test_a_session_keeps_a_copy_of_the_page_that_can_be_forgotten():
    from gradio.state_holder import SessionState

    with gr.Blocks() as demo:
        gr.Textbox("kept per session")
    state = SessionState(demo)
    assert isinstance(state.config_values, dict) and state.config_values  # the copy exists, per component
    gradio_internals.forget_page(state)
    assert state.config_values == {}


def test_an_unknown_function_index_is_gradios_own_error():
    from gradio.route_utils import FnIndexInferError

    assert issubclass(FnIndexInferError, Exception)
    assert gradio_internals.is_unknown_function(FnIndexInferError("no such function"))
    assert not gradio_internals.is_unknown_function(ValueError("other"))


def test_the_queue_of_an_app_counts_what_waits():
    demo = gr.Blocks()
    assert gradio_internals.waiting(demo) == 0  # no queue yet
    demo.queue(max_size=4)
    assert hasattr(demo, "_queue") and len(demo._queue) == 0 and gradio_internals.waiting(demo) == 0


def test_the_server_gradio_launches_is_uvicorns_with_a_graceful_shutdown_timeout():
    import uvicorn
    from gradio.http_server import Server

    assert issubclass(Server, uvicorn.Server)
    assert "timeout_graceful_shutdown" in inspect.signature(uvicorn.Config).parameters

    class Launched:  # what `demo.server` is once launched: a server with a uvicorn Config
        server = uvicorn.Server(uvicorn.Config(app=None))

    gradio_internals.set_shutdown_grace(Launched, 0.5)
    assert Launched.server.config.timeout_graceful_shutdown == 0.5


def test_an_api_endpoints_parameters_and_return_value_get_their_names_and_descriptions():
    def ask(question: str) -> dict:
        return {}

    with gr.Blocks() as demo:
        dependency = gr.api(ask, api_name="ask")
        gradio_internals.describe_endpoint(
            gr,
            dependency,
            {"question": ({"type": "string"}, "The question.")},
            ("answer", {"type": "object", "description": "The answer."}),
        )
    fn = demo.fns[dependency["id"]]
    [parameter], [returned] = fn.inputs, fn.outputs
    assert parameter.label == "question" and parameter.api_info() == {
        "type": "string",
        "description": "The question.",
        "additional_description": "The question.",
    }
    assert returned.label == "answer" and returned.api_info()["additional_description"] == "The answer."


def test_the_checked_version_is_named():
    assert gradio_internals.GRADIO_CHECKED.count(".") == 2
    assert gr.__version__.split(".")[0] == gradio_internals.GRADIO_CHECKED.split(".")[0]
