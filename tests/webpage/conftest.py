import json
import numpy as np
import pytest
from PIL import Image

from tests.records import synthetic_records as _records


@pytest.fixture
def run_folder(tmp_path):
    """A run folder like the training loop writes, with an evaluation beside it."""
    run = tmp_path / "myrun"
    (run / "samples").mkdir(parents=True)
    info = {"config": {"data": "shapes", "lr_g": 2e-4, "lr_d": 2e-4, "loss": "ns", "skip_d_below": None},
            "versions": {"ganvas": "0.1.0", "torch": "2.x"}, "seed": 7,
            "dataset": {"source": "shapes", "fingerprint": "abc", "n_images": 1000, "channels": 3,
                        "resolution": 32, "classes": []}}
    (run / "run.json").write_text(json.dumps(info))
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records()))
    events = [{"step": 800, "event": "d_overpowering", "message": "D is overpowering G <script>",
               "remedy": "Give D a lower learning rate", "action": {"lr_d_factor": 0.5}},
              {"step": 1200, "event": "recovered", "message": "d_overpowering cleared", "remedy": "", "action": {}}]
    (run / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    rng = np.random.default_rng(0)
    for step in range(0, 2001, 100):
        pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(run / "samples" / f"step-{step:07d}.png")
    evaluation = {"run": str(run), "metrics": {"fid": {"value": 23.4, "detail": "10000 vs 10000"},
                                               "swd": {"value": 0.031}},
                  "protocol": {"feature network": "InceptionV3 (TF 2015-12-05)", "weights sha256": "deadbeef",
                               "resize": "bilinear", "n generated": 10000, "reference": "test split",
                               "seed": 0}}
    (run / "evaluation.json").write_text(json.dumps(evaluation))
    return run


