"""Run by `ganvas.launch` (torchrun) with 2 processes: a tiny training in which rank 1 alone acts after
argv[3] steps: it raises (argv[2] == "raise"), goes silent ("hang"), gets a SIGTERM of its own
("signal"), or sees its D loss turn NaN once ("nan"). Errors are reported as `ganvas train` reports
them. argv[4], if given, is the run's length in steps."""
import os
import signal
import sys
import time

import torch

from ganvas.cli import report_errors
from ganvas.gan.classic import ClassicGAN
from ganvas.gan.train import train

out, how, after = sys.argv[1], sys.argv[2], int(sys.argv[3])
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
rank = int(os.environ["RANK"])
polls = 0

if how == "nan" and rank == 1:
    step_of = ClassicGAN.step

    def poisoned(self, real, labels, step):
        stats = step_of(self, real, labels, step)
        if step == after and not getattr(self, "poisoned", False):
            self.poisoned = True
            stats["d_loss"] = torch.tensor(float("nan"))
        return stats

    ClassicGAN.step = poisoned


def should_stop() -> bool:
    global polls
    polls += 1  # once before the first step, then once after every step
    if rank == 1 and polls > after and how != "nan":
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
    data="shapes", out=out, resolution=16, width=8, batch_size=16, steps=steps, log_every=10, sample_every=1000,
    checkpoint_every=20, eval_every=1000, tensorboard=False, threads=1, deterministic=True, precision="fp32",
    dist_timeout=float(os.environ.get("TEST_DIST_TIMEOUT", "60")), should_stop=should_stop)))
