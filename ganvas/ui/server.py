"""The web server: the studio's page, a small JSON API and its files, on 127.0.0.1 unless told otherwise.

Gradio is mounted inside a FastAPI app of our own, so that three things hold for every request,
Gradio's included: the login (with --auth), the file check (only the runs folder and the upload
area are served, after resolving links) and the job manager's life (started with the server,
stopped with it, each running job saving a checkpoint first). No share link is ever made.
"""
from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import sys
from pathlib import Path
from typing import Optional
from urllib.parse import parse_qs, unquote

from ..config.studio import StudioConfig
from ..errors import GanvasError
from .paths import inside, resolve_request
from .studio import Studio

try:  # FastAPI reads handlers' annotations from this module's names
    from fastapi import Request
except ImportError:  # the ui extra is missing; serve() says so before anything needs it
    Request = None

COOKIE = "ganvas-studio"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_FILE_ROUTES = ("file=", "proxy=")  # Gradio's routes that read a path or a URL from the request
_LOGIN_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>ganvas studio: log in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22em;margin:4em auto}}input{{display:block;width:100%;
margin:.3em 0 1em;padding:.4em}}button{{padding:.4em 1.2em}}.error{{color:#b22}}</style></head><body>
<h2>ganvas studio</h2>{error}<form method="post" action="/login">
<label>user<input name="username" id="username" autocomplete="username" autofocus></label>
<label>password<input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="login">Log in</button></form></body></html>"""


class Login:
    """--auth USER:PASS: a login form and a session cookie; the sessions live as long as the server."""

    def __init__(self, spec: str):
        user, sep, password = spec.partition(":")
        if not sep or not user or not password:
            raise GanvasError(f"--auth {spec!r}: use USER:PASS")
        self.user, self.password = user, password
        self.sessions: set[str] = set()

    def valid(self, token: Optional[str]) -> bool:
        return token is not None and token in self.sessions

    def check(self, user: str, password: str) -> Optional[str]:
        # Both compared in constant time, so timing tells nothing about either.
        ok = hmac.compare_digest(user.encode(), self.user.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode())
        if not ok:
            return None
        token = secrets.token_urlsafe(32)
        self.sessions.add(token)
        return token


def _prepare_gradio(studio: Studio) -> None:
    # Read by Gradio when it builds the app: uploads land in the upload area, nothing phones home.
    os.environ["GRADIO_TEMP_DIR"] = str(studio.layout.incoming)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("GRADIO_SSR_MODE", "False")


def create_app(studio: Studio):
    """The ASGI app: Gradio's page at /, the files at /files/, the job state at /api/."""
    _prepare_gradio(studio)
    import gradio as gr
    from fastapi import FastAPI

    from .app import CSS, build_blocks, theme

    login = Login(studio.config.auth) if studio.config.auth else None

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        studio.jobs.start()
        try:
            yield
        finally:
            studio.jobs.shutdown()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.middleware("http")(_guard(studio, login))
    _add_routes(app, studio, login)
    return gr.mount_gradio_app(
        app, build_blocks(studio), path="/", server_name=studio.config.host, server_port=studio.config.port,
        allowed_paths=[str(studio.layout.runs)], max_file_size=studio.limits.max_bytes, theme=theme(), css=CSS,
        footer_links=[], run_history=False, ssr_mode=False, mcp_server=False, pwa=False, show_error=True)


def _guard(studio: Studio, login: Optional[Login]):
    from fastapi.responses import PlainTextResponse, RedirectResponse

    async def guard(request, call_next):
        path = request.url.path
        if login is not None and path != "/login" and not login.valid(request.cookies.get(COOKIE)):
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                return RedirectResponse("/login", status_code=303)
            return PlainTextResponse("log in first", status_code=401)
        if any(marker in path for marker in _FILE_ROUTES) and not _gradio_file_allowed(studio, path):
            return PlainTextResponse("refused: the studio serves files from its runs folder and upload area only",
                                     status_code=403)
        return await call_next(request)

    return guard


def _gradio_file_allowed(studio: Studio, path: str) -> bool:
    """Gradio's file route names an absolute path (or a URL); only paths inside our roots pass."""
    marker = "file="
    if marker not in path or "proxy=" in path:
        return False
    target = unquote(path.split(marker, 1)[1])
    if "://" in target or ".." in Path(target).parts:
        return False
    return inside(Path(target), studio.layout.served_roots) is not None


def _add_routes(app, studio: Studio, login: Optional[Login]) -> None:
    from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse

    @app.get("/files/{requested:path}")
    def files(requested: str):
        found = resolve_request(requested, studio.layout.served_roots)
        if found is None:
            return PlainTextResponse("refused: not a file of the runs folder or the upload area", status_code=403)
        # Served as data, never as a page that may run anything, even the reports opened on their own.
        return FileResponse(found, headers={"X-Content-Type-Options": "nosniff",
                                            "Content-Security-Policy": "sandbox", "Cache-Control": "no-cache"})

    @app.get("/api/jobs")
    def jobs():
        from .jobs import read_progress

        return {"jobs": [{**job.to_dict(), "progress": read_progress(job.folder),
                          "queue_position": studio.jobs.queue_position(job)} for job in studio.jobs.jobs()]}

    @app.get("/api/runs")
    def runs():
        from . import folders

        return {"runs": [{"name": s.name, "step": s.step, "target": s.target, "best_swd": s.best, "data": s.data}
                         for s in map(folders.summary, folders.run_folders(studio.layout.runs))]}

    if login is None:
        return

    @app.get("/login")
    def login_page():
        return HTMLResponse(_LOGIN_PAGE.format(error=""))

    @app.post("/login")
    async def login_post(request: Request):
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = login.check(form.get("username", [""])[0], form.get("password", [""])[0])
        if token is None:
            return HTMLResponse(_LOGIN_PAGE.format(error='<p class="error">Wrong user or password.</p>'),
                                status_code=401)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
        return response


def serve(config: Optional[StudioConfig] = None, *, command: Optional[list] = None, **options) -> None:
    """Serve the studio until Ctrl-C or SIGTERM; running jobs then stop with a checkpoint.

    Give a StudioConfig, or its fields as keyword arguments (`runs`, `port`, `auth`, ...). `command`
    replaces the worker command line (tests use a stand-in).
    """
    import dataclasses

    import uvicorn

    if Request is None:
        raise GanvasError("the studio needs Gradio; install the ui extra: pip install 'ganvas[ui]'")
    config = dataclasses.replace(config or StudioConfig(), **options)
    studio = Studio.open(config, command)
    app = create_app(studio)
    url = f"http://{'[' + config.host + ']' if ':' in config.host else config.host}:{config.port}/"
    if config.host not in LOOPBACK:
        print(f"ganvas ui: listening on {config.host}: other machines can reach the studio"
              + ("" if config.auth else "; add --auth USER:PASS"), file=sys.stderr)
    print(f"ganvas studio: {url}  (runs in {studio.layout.runs}; Ctrl-C stops it, running jobs save a checkpoint)",
          flush=True)
    if config.open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, [url]).start()
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning", timeout_graceful_shutdown=5)
