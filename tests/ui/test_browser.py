"""The studio end to end in a real headless Chromium: `ganvas ui` started on a free port, driven by Selenium.

The tests run in file order and share one server, one browser and one run, as a user's session would:
upload, train, watch, stop, resume, refuse a bad file, sample, stylise, open the report. Screenshots
go to the test's folder, and to docs/ when GANVAS_UPDATE_SCREENSHOTS=1 (the README shows those).
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.ui import browser
from tests.ui.helpers import wait_for
from tests.ui.images import images_zip, picture, text_as_png

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]
DOCS = browser.REPO / "docs"
TRAIN = {"train-resolution": 16, "train-width": 8, "train-steps": 3000, "train-batch_size": 8, "train-threads": 1}
ADVANCED = {"train-log_every": 5, "train-sample_every": 10, "train-checkpoint_every": 20, "train-eval_every": 20,
            "train-eval_samples": 32}


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    chromium, driver = browser.need_browser()
    root = tmp_path_factory.mktemp("studio")
    runs, port = root / "runs", browser.free_port()
    server = browser.start_server(runs, port)
    page = browser.Page(browser.chrome(chromium, driver))
    state = {"root": root, "runs": runs, "url": f"http://127.0.0.1:{port}/", "port": port, "server": server,
             "page": page, "shots": root / "shots"}
    try:
        page.d.get(state["url"])
        page.wait(lambda d: page.el("train-files", "input[type=file]"), what="the page")
        yield state
    finally:
        page.d.quit()
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=60)


def shot(state, name: str) -> None:
    path = state["shots"] / f"studio-{name}.png"
    state["page"].screenshot(path)
    if os.environ.get("GANVAS_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(path, DOCS / path.name)


def api_jobs(state) -> list[dict]:
    with urllib.request.urlopen(state["url"] + "api/jobs", timeout=10) as response:
        return json.load(response)["jobs"]


def run_folder(state) -> Path:
    [run] = [p for p in state["runs"].iterdir() if p.is_dir() and not p.name.startswith(".")]
    return run


def step_of(state) -> int:
    progress = [j["progress"] for j in api_jobs(state) if j["kind"] == "train"][-1]
    return int(progress.get("step") or 0)


def train_state(state) -> str:
    return [j["state"] for j in api_jobs(state) if j["kind"] == "train"][-1]


def stopped(state) -> bool:
    page = state["page"]
    return train_state(state) == "stopped" and "stopped" in page.text("train-status").split("\n")[0]


def test_upload_a_zip_train_watch_stop_and_resume(session):
    page = session["page"]
    page.upload("train-files", images_zip(session["root"] / "blobs.zip"))
    page.wait(lambda d: "24 image(s) accepted" in page.text("upload-report"), what="the upload report")
    for elem_id, value in TRAIN.items():
        page.fill(elem_id, value)
    page.open_fold("train-advanced")
    for elem_id, value in ADVANCED.items():
        page.fill(elem_id, value)
    page.check("train-tensorboard", False)
    page.fill("train-name", "blobs")
    page.click("train-start")
    page.wait(lambda d: "running" in page.text("train-status"), what="the run to start")
    page.wait(lambda d: page.image_src("train-sample"), what="a sample grid in the page")
    page.wait(lambda d: "SWD" in page.text("train-metric") and "not measured" not in page.text("train-metric"),
              what="the in-loop metric")

    page.d.refresh()  # a reload reads the job back from the run folder
    page.wait(lambda d: "blobs" in page.text("train-status") and "running" in page.text("train-status"),
              what="the running job after a reload")
    measure_concurrency(session)

    page.click("train-stop")
    page.wait(lambda d: stopped(session), what="the run to stop")
    run = run_folder(session)
    stopped_at = step_of(session)
    assert (run / "checkpoints" / f"step-{stopped_at:07d}.json").exists(), "Stop must leave a checkpoint"

    # A diagnostics alarm, as the loop writes one: the page shows it with the lesson's remedy and a button.
    alarm = {"step": stopped_at, "event": "d_overpowering", "message": "D calls every image right",
             "remedy": "Give D a lower learning rate than G", "action": None}
    with open(run / "events.jsonl", "a") as fh:
        fh.write(json.dumps(alarm) + "\n")
    page.wait(lambda d: page.el("train-remedy-0"), what="the remedy button")
    page.click("train-remedy-0")
    page.wait(lambda d: "Queued for the next Resume" in page.text("train-message"), what="the queued remedy")

    page.click("train-resume")
    page.wait(lambda d: "running" in page.text("train-status"), what="the resumed run")
    page.wait(lambda d: step_of(session) > stopped_at + 30, what="steps after the resume")
    applied = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert any(e["event"] == "remedy" and e["step"] == stopped_at + 1 for e in applied), applied
    shot(session, "train")
    assert f"from step {stopped_at}" in page.text("train-notes") or any(
        f"from step {stopped_at}" in n for j in api_jobs(session) for n in j["progress"].get("notes", []))
    page.click("train-stop")
    page.wait(lambda d: stopped(session), what="the resumed run to stop")


def measure_concurrency(session) -> None:
    """20 requests at once, half to the page and half to the API, while the run trains."""
    before = step_of(session)
    urls = [session["url"]] * 10 + [session["url"] + "api/jobs"] * 10

    def get(url):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status, time.perf_counter() - start

    start = time.perf_counter()
    with ThreadPoolExecutor(len(urls)) as pool:
        answers = list(pool.map(get, urls))
    wall = time.perf_counter() - start
    statuses, latencies = [s for s, _ in answers], [t for _, t in answers]
    def moved():
        step = step_of(session)
        return step if step > before else None

    # Progress is written every few steps, and a slow CPU takes seconds over those: wait for the next record.
    after = wait_for(moved, timeout=60, what="training to go on while the server answers")
    measured = {"requests": len(urls), "all_ok": statuses == [200] * len(urls), "wall_s": round(wall, 3),
                "median_s": round(statistics.median(latencies), 3), "max_s": round(max(latencies), 3),
                "train_steps_meanwhile": after - before,
                "seconds_until_it_moved": round(time.perf_counter() - start, 1)}
    (session["root"] / "concurrency.json").write_text(json.dumps(measured))
    print(f"concurrency: {measured}")
    assert measured["all_ok"], statuses
    assert train_state(session) == "running" and after > before, "training goes on while the server answers"


def test_a_text_file_named_png_is_refused_with_its_name(session):
    page = session["page"]
    page.upload("train-files", text_as_png(session["root"] / "notes.png"))
    page.wait(lambda d: "notes.png" in page.text("upload-report"), what="the refusal")
    assert "not an image" in page.text("upload-report")


def test_create_samples_a_grid_and_a_walk(session):
    page = session["page"]
    page.tab("Create")
    page.fill("create-n", 16)
    page.fill("create-seed", 3)
    page.click("create-sample")
    page.wait(lambda d: page.image_src("create-grid"), what="the sample grid")
    page.fill("create-keys", 2)
    page.fill("create-frames", 3)
    page.click("create-walk-button")
    page.wait(lambda d: page.image_src("create-walk"), what="the walk")
    assert "Not available" in page.text("create-mixing")
    shot(session, "create")


def test_stylize_a_small_image_in_a_few_steps(session):
    page = session["page"]
    page.tab("Stylize")
    page.upload("style-content", picture(session["root"] / "photo.png", seed=5, size=(48, 36)))
    page.upload("style-styles", picture(session["root"] / "painting.png", seed=6, size=(40, 40)))
    page.fill("style-size", 32)
    page.fill("style-steps", 4)
    page.open_fold("style-advanced")
    page.fill("style-min_scale", 32)
    page.fill("style-threads", 1)
    time.sleep(1)  # let the uploads settle before starting
    page.click("style-start")
    page.wait(lambda d: page.image_src("style-result"), what="the stylised image")
    page.wait(lambda d: [j["state"] for j in api_jobs(session) if j["kind"] == "stylize"] == ["finished"],
              what="the stylisation to finish")
    assert "finished" in page.text("style-status") and "loss" in page.text("style-status")
    shot(session, "stylize")


def test_runs_tab_lists_the_run_and_opens_its_report(session):
    page = session["page"]
    page.tab("Runs")
    page.wait(lambda d: "blobs" in page.text("runs-table"), what="the run in the table")
    page.choose("runs-open", "blobs")
    page.click("runs-open-button")
    page.wait(lambda d: page.el("runs-report", "iframe"), what="the report")
    page.wait(lambda d: page.d.find_elements("css selector", "#runs-grids img"), what="the sample grids")
    assert (run_folder(session) / "report.html").exists()
    time.sleep(1)
    shot(session, "runs")


def raw_get(port: int, path: str) -> int:
    """The status of GET `path` sent as written: no client-side clean-up of ../ or //."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.endheaders()
    status = conn.getresponse().status
    conn.close()
    return status


def test_files_outside_the_runs_folder_are_refused(session):
    port, runs = session["port"], session["runs"]
    run = run_folder(session)
    grid = sorted((run / "samples").glob("*.png"))[-1]
    assert raw_get(port, f"/files/{run.name}/samples/{grid.name}") == 200
    (runs / "escape.txt").symlink_to("/etc/hostname")
    for path in ("/files/../../../../etc/passwd", "/files/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/files//etc/passwd",
                 "/files/escape.txt", f"/files/{run.name}/../../../etc/passwd",
                 "/gradio_api/file=/etc/passwd", f"/gradio_api/file={runs}/../../../etc/passwd",
                 "/gradio_api/file=http://127.0.0.1:1/x", "/gradio_api/proxy=http://127.0.0.1:1/x"):
        assert raw_get(port, path) in (403, 404), path


def test_stopping_the_server_stops_the_running_job_with_a_checkpoint(session):
    page = session["page"]
    page.tab("Train")
    page.click("train-resume")
    page.wait(lambda d: "running" in page.text("train-status"), what="the run to start again")
    before = step_of(session)
    page.wait(lambda d: step_of(session) > before, what="a few more steps")
    session["server"].send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal so the exit status tells how it ended.
    assert session["server"].wait(timeout=90) in (0, -signal.SIGTERM)
    run = run_folder(session)
    job = json.loads((run / "studio" / "job.json").read_text())
    progress = json.loads((run / "studio" / "progress.json").read_text())
    assert job["state"] == "stopped", job
    assert (run / "checkpoints" / f"step-{progress['step']:07d}.json").exists()
