"""Every use of Gradio's internals, in one place, checked against Gradio 6.31.0 (`GRADIO_CHECKED`).

Gradio offers no public hook for these; `tests/test_gradio_internals.py` asserts each one still
exists with the shape used here, so a Gradio upgrade that changes one fails there, by name:

- `Blocks.process_api(block_fn, inputs, state, …)`: wrapped (`limits.guard`) so a failing event
  logs one line and the session keeps no copy of the page;
- `SessionState.config_values`: that copy (the page as a session last saw it, for deep links);
- `gradio.route_utils.FnIndexInferError`: the error of an unknown function index;
- `Blocks._queue` (`len()`: events waiting): the queue depth `/metrics` shows;
- `Blocks.server.config.timeout_graceful_shutdown` (uvicorn's): how long open streams get on close;
- `context.get_blocks_context().fns[id].inputs/outputs` and `Api._api_info`: the names and
  descriptions of the API's parameters and return values (`api.register`).
"""

from __future__ import annotations

from collections.abc import Callable

GRADIO_CHECKED = "6.31.0"


def wrap_events(demo, wrap: Callable[[Callable], Callable]) -> None:
    """Replace how `demo` runs an event with `wrap(original)`; once (a second call does nothing).

    The wrapper is called as `process_api(block_fn, inputs, state, *args, **kwargs)`."""
    process_api = demo.process_api
    if getattr(process_api, "wrapped", False):  # launched before
        return
    wrapped = wrap(process_api)
    wrapped.wrapped = True
    demo.process_api = wrapped


def forget_page(state) -> None:
    """Drop the copy of the page a session keeps (its last inputs and outputs, for deep links only)."""
    if state is not None:
        state.config_values.clear()


def is_unknown_function(exc: Exception) -> bool:
    """Whether `exc` is Gradio's error for a function index that does not exist."""
    from gradio.route_utils import FnIndexInferError

    return isinstance(exc, FnIndexInferError)


def waiting(demo) -> int:
    """Events waiting in the Gradio queue of a launched app (chat messages and `/ask` calls)."""
    queue = getattr(demo, "_queue", None)  # Gradio keeps no public handle; its /queue/status reads the same
    try:
        return len(queue) if queue is not None else 0
    except TypeError:
        return 0


def set_shutdown_grace(demo, seconds: float) -> None:
    """On close, open connections (event streams of questions still waiting) get `seconds`, not forever."""
    demo.server.config.timeout_graceful_shutdown = seconds


def describe_endpoint(gr, dependency, parameters: dict[str, tuple[dict, str]], returns: tuple[str, dict]) -> None:
    """Give gr.api's generic "1st"/"2nd" parameters their names, schemas and descriptions, and the
    return value its label and schema (the endpoint just registered, `dependency`)."""
    fn = gr.context.get_blocks_context().fns[dependency["id"]]
    for component, (name, (schema, text)) in zip(fn.inputs, parameters.items(), strict=True):
        component.label = name
        component._api_info = {**schema, "description": text, "additional_description": text}
    label, schema = returns
    for component in fn.outputs:
        component.label = label
        component._api_info = {**schema, "additional_description": schema.get("description", "")}
