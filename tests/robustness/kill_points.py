"""The real `clika` CLI with a pause point, so a test can kill -9 it at a chosen moment.

    CLIKA_PAUSE_AT=load | batch:N | write:N  CLIKA_PAUSE_FILE=PATH  python kill_points.py run ...

When the point is reached the process writes PATH and sleeps; the test sees the
file and sends SIGKILL, so the kill lands exactly there:
- load:     inside the model's from_pretrained (weights half loaded);
- batch:N:  inside the N-th scoring call of the HF backend (mid-batch, letter or cloze mode);
- write:N:  inside the N-th predictions transaction of the results store,
            after its rows are inserted and before COMMIT (via sqlite's trace
            callback, so the store code itself runs unchanged).
Without CLIKA_PAUSE_AT it is exactly `clika`.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

PAUSE_S = 120.0


def _pause() -> None:
    Path(os.environ["CLIKA_PAUSE_FILE"]).write_text(str(os.getpid()))
    time.sleep(PAUSE_S)


def _install(point: str) -> None:
    kind, _, arg = point.partition(":")
    nth = int(arg or 1)
    if kind == "load":
        import transformers

        original = transformers.AutoModelForCausalLM.from_pretrained.__func__

        def from_pretrained(cls: Any, *args: Any, **kwargs: Any) -> Any:
            _pause()
            return original(cls, *args, **kwargs)

        transformers.AutoModelForCausalLM.from_pretrained = classmethod(from_pretrained)
    elif kind == "batch":
        from clika.backends.hf import HFBackend

        calls = [0]

        def pausing(forward: Any) -> Any:
            def scoring_call(self: Any, requests: Any) -> Any:
                calls[0] += 1
                if calls[0] == nth:
                    _pause()
                return forward(self, requests)
            return scoring_call

        # Both scoring modes' entry points: letter (next_token_logprobs) and cloze (loglikelihoods).
        HFBackend.next_token_logprobs = pausing(HFBackend.next_token_logprobs)
        HFBackend.loglikelihoods = pausing(HFBackend.loglikelihoods)
    elif kind == "write":
        from clika.store import ResultsStore

        init = ResultsStore.__init__
        state = {"inserting": False, "transactions": 0}

        def trace(statement: str) -> None:  # called for every statement (every row of an executemany)
            if statement.startswith("BEGIN"):
                state["inserting"] = False
            elif statement.startswith("INSERT INTO predictions"):
                state["inserting"] = True
            elif statement == "COMMIT" and state["inserting"]:
                state["transactions"] += 1
                if state["transactions"] == nth:
                    _pause()  # the chunk's rows are in the open transaction, not yet committed

        def store_init(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            self._conn.set_trace_callback(trace)

        ResultsStore.__init__ = store_init
    else:
        raise SystemExit(f"unknown CLIKA_PAUSE_AT {point!r}")


if __name__ == "__main__":
    if os.environ.get("CLIKA_PAUSE_AT"):
        _install(os.environ["CLIKA_PAUSE_AT"])
    from clika.cli import main

    sys.argv[0] = "clika"
    main()
