"""Helpers every tab uses: error display and the list of runs."""
from __future__ import annotations

import gradio as gr

from ...errors import GanvasError
from .. import folders
from ..studio import Studio


def guarded(fn, outputs: int):
    """`fn` as an event handler whose GanvasError shows in its first output, the others left as they are.

    A library error is the user's to fix (a bad value, a wrong file), so it belongs on the page,
    not in a traceback.
    """
    def handler(*args):
        try:
            result = fn(*args)
        except GanvasError as exc:
            error = f"**Error:** {exc}"
            return error if outputs == 1 else (error, *[gr.skip()] * (outputs - 1))
        return result[0] if outputs == 1 and isinstance(result, tuple) else result

    return handler


def run_choices(studio: Studio) -> list[str]:
    return [p.name for p in folders.run_folders(studio.layout.runs)]
