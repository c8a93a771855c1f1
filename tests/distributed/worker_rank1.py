"""Run by `ganvas.launch` (torchrun) with 2 processes: a tiny training in which rank 1 alone acts after
argv[3] steps: it raises (argv[2] == "raise"), goes silent ("hang"), or gets a SIGTERM of its own
("signal"). Errors are reported as `ganvas train` reports them."""
import os
import signal
import sys
import time

from ganvas.cli import report_errors
from ganvas.gan.train import train

out, how, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
rank = int(os.environ["RANK"])
polls = 0


def should_stop() -> bool:
    global polls
    polls += 1  # once before the first step, then once after every step
    if rank == 1 and polls > after:
        if how == "raise":
            raise RuntimeError("injected failure on rank 1")
        if how == "signal":
            if polls == after + 1:
                os.kill(os.getpid(), signal.SIGTERM)
            return False
        # Stuck for good: a SIGTERM from the agent ends it (unlike the loop's own handler, which would
        # wait for the step to finish), so the test need not wait out the agent's 30 s before SIGKILL.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        time.sleep(600)
    return False


sys.exit(report_errors("train", lambda: train(
    data="shapes", out=out, resolution=16, width=8, batch_size=16, steps=1000, log_every=10, sample_every=1000,
    checkpoint_every=20, eval_every=1000, tensorboard=False, threads=1, deterministic=True, precision="fp32",
    dist_timeout=float(os.environ.get("TEST_DIST_TIMEOUT", "60")), should_stop=should_stop)))
