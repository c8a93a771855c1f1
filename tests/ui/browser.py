"""Driving the studio in a real headless Chromium: Debian's chromium and chromedriver, nothing downloaded."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
DRIVER = ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver")
WAIT_S = 90


def _first(paths) -> str | None:
    return next((p for p in paths if Path(p).exists()), None) or None


def need_browser() -> tuple[str, str]:
    """Chromium and its driver; a skip on a machine without them, a failure in CI (which installs them)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        _missing("selenium is not installed (it is in the dev extra)")
    chromium, driver = _first(CHROMIUM) or shutil.which("chromium"), _first(DRIVER) or shutil.which("chromedriver")
    if not chromium or not driver:
        _missing("no chromium/chromedriver: apt-get install chromium chromium-driver")
    return chromium, driver


def _missing(why: str):
    if os.environ.get("CI"):
        pytest.fail(f"browser tests: {why}; .ci/run installs them")
    pytest.skip(f"browser tests: {why}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(runs: Path, port: int, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    log = open(runs.parent / f"server-{port}.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "ganvas", "ui", "--port", str(port), "--runs", str(runs), *extra],
                            stdout=log, stderr=subprocess.STDOUT, env=env, cwd=runs.parent)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"ganvas ui exited: {(runs.parent / f'server-{port}.log').read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/jobs", timeout=2)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("ganvas ui did not answer within 90 s")


def chrome(chromium: str, driver: str):
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    options.binary_location = chromium
    return webdriver.Chrome(options=options, service=webdriver.ChromeService(driver))


class Page:
    """The few gestures the tests need, by the elem_id each studio input carries."""

    def __init__(self, driver):
        self.d = driver

    def wait(self, condition, timeout: float = WAIT_S, what: str = "condition"):
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
        from selenium.webdriver.support.ui import WebDriverWait

        def safe(d):
            try:
                return condition(d)
            except (StaleElementReferenceException, WebDriverException):
                return False

        try:
            return WebDriverWait(self.d, timeout, poll_frequency=0.25).until(safe)
        except Exception as exc:
            raise AssertionError(f"timed out waiting for {what}; status: {self.text('train-status')!r}; "
                                 f"message: {self.text('train-message')!r}") from exc

    def el(self, elem_id: str, css: str = ""):
        """The element `css` inside the component `elem_id` (each alternative of a "a, b" list scoped)."""
        from selenium.webdriver.common.by import By

        scoped = ", ".join(f"#{elem_id} {part.strip()}".strip() for part in css.split(",")) if css else f"#{elem_id}"
        return self.d.find_element(By.CSS_SELECTOR, scoped)

    def text(self, elem_id: str) -> str:
        try:
            return self.el(elem_id).text
        except Exception:
            return ""

    def tab(self, label: str) -> None:
        from selenium.webdriver.common.by import By

        button = self.wait(lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "button[role=tab]")
                                      if b.text.strip() == label], what=f"tab {label}")[0]
        button.click()
        time.sleep(0.5)

    def upload(self, elem_id: str, *paths: Path) -> None:
        self.el(elem_id, "input[type=file]").send_keys("\n".join(str(p) for p in paths))

    def fill(self, elem_id: str, value) -> None:
        from selenium.webdriver.common.keys import Keys

        box = self.el(elem_id, "input, textarea")
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(str(value))
        box.send_keys(Keys.TAB)

    def check(self, elem_id: str, on: bool) -> None:
        box = self.el(elem_id, "input[type=checkbox]")
        if box.is_selected() != on:
            box.click()

    def open_fold(self, elem_id: str) -> None:
        self.el(elem_id, "button").click()
        time.sleep(0.3)

    def choose(self, elem_id: str, option: str) -> None:
        """Pick a dropdown option by its text."""
        from selenium.webdriver.common.by import By

        self.el(elem_id, "input").click()
        item = self.wait(lambda d: [li for li in d.find_elements(By.CSS_SELECTOR, "li[role=option]")
                                    if option in li.text], what=f"option {option} of {elem_id}")[0]
        item.click()
        time.sleep(0.3)

    def click(self, elem_id: str) -> None:
        self.el(elem_id).click()

    def image_src(self, elem_id: str) -> str:
        from selenium.webdriver.common.by import By

        found = self.d.find_elements(By.CSS_SELECTOR, f"#{elem_id} img")
        return found[0].get_attribute("src") or "" if found else ""

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.d.execute_script("window.scrollTo(0, 0)")
        time.sleep(0.3)
        self.d.save_screenshot(str(path))
