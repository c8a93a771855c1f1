import json
from pathlib import Path

from ganvas.models import ModelSpec

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "run-0.1" / "checkpoints" / "step-0000020.json"


def test_a_spec_survives_json_in_the_nested_form():
    spec = ModelSpec("dcgan", z_dim=8, resolution=32, channels=3, num_classes=2, classes=("cat", "dog"),
                     options={"width": 16, "spectral_norm": True})
    stored = json.loads(json.dumps(spec.to_dict()))
    assert stored["options"] == {"width": 16, "spectral_norm": True}
    assert ModelSpec.from_dict(stored) == spec


def test_the_flat_model_of_a_0_1_checkpoint_reads_as_a_spec():
    spec = ModelSpec.from_dict(json.loads(FIXTURE.read_text())["model"])
    assert spec == ModelSpec("dcgan", z_dim=8, resolution=16, channels=3, num_classes=0, classes=(),
                             options={"width": 4, "spectral_norm": False})


def test_public_is_flat():
    spec = ModelSpec("mlp", z_dim=4, resolution=16, channels=1, options={"width": 2})
    assert spec.public() == {"arch": "mlp", "z_dim": 4, "resolution": 16, "channels": 1, "num_classes": 0,
                             "classes": [], "width": 2}
