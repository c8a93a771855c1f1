"""Extensions of the loop that watch it: each may add to a log record, act at eval time, and keep state."""
from __future__ import annotations


class Hook:
    """Hooks must not draw from the global RNG: a resumed run has to replay the same random numbers."""

    def on_log(self, loop, record: dict) -> None:
        pass

    def on_eval(self, loop) -> None:
        pass

    def state(self) -> dict:
        return {}

    def load_state(self, info: dict) -> None:
        pass
