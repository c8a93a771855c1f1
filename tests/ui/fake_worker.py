"""Stands in for ganvas.ui.worker in the job manager's tests: the same files, no torch, a few ms a tick.

The job's spec says how it behaves: "ticks" before it finishes, "tick_s" between them, "crash" to exit
without an outcome.
"""
import json
import os
import sys
import time
from pathlib import Path


def write(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def main() -> int:
    studio = Path(sys.argv[1])
    spec = json.loads((studio / "job.json").read_text())["spec"]
    progress = studio / "progress.json"
    for step in range(int(spec.get("ticks", 1000))):
        state = {"pid": os.getpid(), "heartbeat": time.time(), "step": step, "total": spec.get("ticks"),
                 "outcome": None}
        if (studio / "stop").exists():
            write(progress, {**state, "outcome": {"result": "stopped", "message": f"stopped at {step}"}})
            return 0
        write(progress, state)
        time.sleep(float(spec.get("tick_s", 0.02)))
    if spec.get("crash"):
        print("fake worker: crashing on purpose", flush=True)
        return 3
    write(progress, {"pid": os.getpid(), "heartbeat": time.time(), "step": spec.get("ticks"),
                     "outcome": {"result": "finished", "message": "done"}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
