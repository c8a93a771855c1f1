import io
import math

from PIL import Image

from ganvas.plots import eval_series, losses_png, metric_png, plot_losses, train_records

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _open(path):
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        return img.format, img.size


def test_plot_losses_writes_a_png_with_three_panels_when_evals_exist(tmp_path, records):
    path = plot_losses(records, tmp_path / "out" / "losses.png")
    fmt, (width, height) = _open(path)
    assert fmt == "PNG" and 600 <= width <= 1200
    two_panels = tmp_path / "train-only.png"
    plot_losses(train_records(records), two_panels)
    assert height > _open(two_panels)[1][1]  # the eval panel adds height
    assert not list(tmp_path.glob("out/.*.tmp"))  # written atomically, nothing left behind


def test_plot_losses_survives_nan_empty_and_event_markers(tmp_path, records):
    records[5]["d_loss"] = math.nan
    records[6]["g_loss"] = math.inf
    events = [{"step": 400, "event": "divergence"}, {"step": 900, "event": "something_new"}]
    assert losses_png(records, events).startswith(PNG_MAGIC)
    assert _open(plot_losses([], tmp_path / "empty.png"))[0] == "PNG"


def test_metric_png_from_eval_and_from_training_records(records):
    assert _open(io.BytesIO(metric_png(records, "swd")))[0] == "PNG"
    fmt, (width, height) = _open(io.BytesIO(metric_png(records, "diversity")))
    assert fmt == "PNG" and width > 200 and height > 100


def test_eval_series_and_train_records_split_the_log(records):
    series = eval_series(records)
    assert list(series) == ["swd"]
    steps, values = series["swd"]
    assert steps == [500, 1000, 1500, 2000] and values[0] > values[-1]
    assert all("eval" not in r for r in train_records(records))
    assert len(train_records(records)) == 41
