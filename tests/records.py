"""Metric records shaped like the ones the training loop writes, for tests of their readers."""
import math

import numpy as np


def synthetic_records(steps=2000, every=50, seed=0):
    rng = np.random.default_rng(seed)
    records = []
    for step in range(0, steps + 1, every):
        records.append({"step": step, "epoch": step / 500, "time": step / 20, "img_per_s": 1200.0,
                        "d_loss": 1.2 + 0.3 * math.sin(step / 300) + rng.normal(0, 0.1),
                        "g_loss": 0.9 - 0.3 * math.sin(step / 300) + rng.normal(0, 0.1),
                        "d_real": 0.6 + rng.normal(0, 0.03), "d_fake": 0.4 + rng.normal(0, 0.03),
                        "g_grad_norm": 2.0, "lr_g": 2e-4, "lr_d": 2e-4, "skipped_d": 0,
                        "diversity": 0.2, "real_diversity": 0.3})
        if step and step % 500 == 0:
            records.append({"step": step, "eval": {"swd": 0.5 / (1 + step / 500)}})
    return records
