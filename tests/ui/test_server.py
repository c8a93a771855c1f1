"""The web server in-process (no browser): the login of --auth, the JSON API, and the file check."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from ganvas.config.studio import StudioConfig
from ganvas.ui.studio import Studio
from tests.ui.helpers import FAKE

pytest.importorskip("gradio")
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from ganvas.ui.server import create_app

    saved = {k: os.environ.get(k) for k in ("GRADIO_TEMP_DIR", "GRADIO_ANALYTICS_ENABLED")}
    root = tmp_path_factory.mktemp("server")
    studio = Studio.open(StudioConfig(runs=str(root / "runs"), auth="ada:lovelace"), command=FAKE)
    (studio.layout.runs / "run").mkdir()
    (studio.layout.runs / "run" / "report.html").write_text("<p>a report</p>")
    (root / "secret.txt").write_text("outside")
    try:
        with TestClient(create_app(studio), follow_redirects=False) as client:
            client.studio = studio
            yield client
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def test_everything_asks_for_the_login_first(client):
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 303 and page.headers["location"] == "/login"
    for path in ("/api/jobs", "/files/run/report.html", "/gradio_api/info", "/config"):
        assert client.get(path).status_code == 401, path
    assert client.post("/login", data={"username": "ada", "password": "babbage"}).status_code == 401


def test_after_logging_in_the_page_the_api_and_the_runs_files_are_served(client):
    answer = client.post("/login", data={"username": "ada", "password": "lovelace"})
    assert answer.status_code == 303
    assert client.get("/", headers={"accept": "text/html"}).status_code == 200
    assert client.get("/api/jobs").json() == {"jobs": []}
    report = client.get("/files/run/report.html")
    assert report.status_code == 200 and "a report" in report.text
    assert report.headers["content-security-policy"] == "sandbox"


def test_files_outside_the_runs_folder_are_refused_by_both_file_routes(client):
    client.post("/login", data={"username": "ada", "password": "lovelace"})
    secret = Path(client.studio.layout.runs).parent / "secret.txt"
    for path in ("/files/%2e%2e/secret.txt", f"/files/{secret}", f"/gradio_api/file={secret}",
                 "/gradio_api/file=http://127.0.0.1:9/x", f"/gradio_api/file={client.studio.layout.runs}/../secret.txt"):
        assert client.get(path).status_code == 403, path
    inside = client.studio.layout.runs / "run" / "report.html"
    assert client.get(f"/gradio_api/file={inside}").status_code == 200
