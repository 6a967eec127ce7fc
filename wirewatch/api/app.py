"""The wirewatch web app: the JSON API under /api and the dashboard, in one FastAPI process.

`create_app()` opens one store (or takes one), attaches the watch evaluator to
it, and serves both surfaces. As in datasette, one error handler turns every
failure - bad parameter, unknown id, missing token, store error - into one JSON
shape for /api and one HTML page for the dashboard. Every response carries a
strict Content-Security-Policy: the dashboard runs only its own shipped
scripts, so article text that contains markup can never execute.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import StoreError, WirewatchError
from ..settings import Settings, load_settings
from ..store.base import Store, open_store
from ..watch import Watcher, WatchError
from .query import QueryError

log = logging.getLogger(__name__)

WEB = Path(__file__).resolve().parent.parent / "web"

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class ApiError(WirewatchError):
    """An error with an HTTP status, raised by routes and rendered by the one error handler."""

    def __init__(self, status: int, message: str):
        self.status = status
        super().__init__(message)


@dataclass
class Context:
    """What every route needs: the store, the settings, the watcher and (lazily) the extractor."""

    store: Store
    settings: Settings
    watcher: Watcher
    extractor_factory: Callable[[], Any] | None = None
    _extractor: Any = field(default=None, repr=False)

    @property
    def extractor(self) -> Any:
        if self._extractor is None:
            if self.extractor_factory is not None:
                self._extractor = self.extractor_factory()
            else:
                from ..nlp.pipeline import Extractor

                self._extractor = Extractor(self.settings)
        return self._extractor


def ctx(request: Request) -> Context:
    return request.app.state.ctx


def _token(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.cookies.get("wirewatch_token")


def _token_ok(request: Request, c: Context) -> bool:
    given = _token(request)
    want = c.settings.api_token
    return bool(given and want and hmac.compare_digest(given.encode(), want.encode()))


def require_read(request: Request) -> None:
    """Reads are open unless the operator set api_open_reads = false; then the token is needed."""
    c = ctx(request)
    if not c.settings.api_open_reads and not _token_ok(request, c):
        raise ApiError(401, "reads need the API token: send 'Authorization: Bearer <token>'"
                       + ("" if request.url.path.startswith("/api") else " or log in at /login"))


def require_write(request: Request) -> None:
    """Writes (ingest, watches) always need the operator's token; with none configured they are off."""
    c = ctx(request)
    if not c.settings.api_token:
        raise ApiError(403, "write endpoints are disabled: the operator must set WIREWATCH_API_TOKEN "
                            "(or api_token in the settings file)")
    if _token(request) is None:
        raise ApiError(401, "this endpoint needs the API token: send 'Authorization: Bearer <token>'")
    if not _token_ok(request, c):
        raise ApiError(403, "the API token is not valid")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api") or request.url.path == "/openapi.json" or \
        "application/json" in request.headers.get("accept", "")


def error_response(request: Request, status: int, message: str, **extra: Any) -> Response:
    """The one rendering of an error: JSON {"error": {...}} for the API, an HTML page for the dashboard."""
    if _wants_json(request):
        resp: Response = JSONResponse({"error": {"status": status, "message": message, **extra}}, status_code=status)
    else:
        from ..web.views import render_error

        resp = render_error(request, status, message)
    if status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="wirewatch"'
    return resp


def _install_error_handler(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> Response:
        if isinstance(exc, ApiError):
            return error_response(request, exc.status, str(exc))
        if isinstance(exc, QueryError):
            return error_response(request, 400, str(exc), field=exc.field)
        if isinstance(exc, WatchError):
            return error_response(request, 400, str(exc))
        if isinstance(exc, RequestValidationError):
            errs = exc.errors()
            first = errs[0] if errs else {}
            where = ".".join(str(x) for x in first.get("loc", ()) if x not in ("query", "body", "path"))
            msg = f"{where}: {first.get('msg', 'invalid value')}" if where else str(first.get("msg", "invalid request"))
            return error_response(request, 400, msg, field=where or None)
        if isinstance(exc, StarletteHTTPException):
            msg = exc.detail if isinstance(exc.detail, str) else "error"
            if exc.status_code == 404 and msg == "Not Found":
                msg = f"no such page: {request.url.path}"
            elif exc.status_code == 405:
                msg = f"{request.method} is not allowed on {request.url.path}"
            return error_response(request, exc.status_code, msg)
        if isinstance(exc, StoreError):
            log.error("store error on %s: %s", request.url.path, exc)
            return error_response(request, 503, f"the store failed: {exc}")
        if isinstance(exc, WirewatchError):
            return error_response(request, 400, str(exc))
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, "internal error (see the server log)")

    for exc_type in (ApiError, QueryError, WatchError, RequestValidationError, StarletteHTTPException,
                     WirewatchError, Exception):
        app.add_exception_handler(exc_type, handle)


def create_app(store: Store | str | None = None, *, settings: Settings | None = None,
               extractor_factory: Callable[[], Any] | None = None, close_store: bool | None = None,
               track_stories: bool = True) -> FastAPI:
    """The app over a store (an open Store, or a URL; default: the `db` setting)."""
    settings = settings or load_settings()
    owns = isinstance(store, str) or store is None
    st = open_store(store if isinstance(store, str) else settings.db) if owns else store
    assert isinstance(st, Store)
    if track_stories:
        _attach_stories(st)
    # After the story tracker, so a new article already has its story when watches dedup on fused events.
    watcher = Watcher(st).attach()
    context = Context(store=st, settings=settings, watcher=watcher, extractor_factory=extractor_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        watcher.close(timeout=10)
        if close_store if close_store is not None else owns:
            st.close()

    from .. import __version__

    app = FastAPI(
        title="wirewatch",
        version=__version__,
        description="Structured, evidence-linked event data from the news: articles, PLOVER events, actors, "
                    "places, quotes, watches and alerts. Errors are `{\"error\": {\"status\", \"message\"}}`.",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        swagger_ui_parameters=None,
    )
    app.state.ctx = context
    _install_error_handler(app)

    app.add_middleware(SecurityHeaders)

    from .routers import actors, articles, events, meta, places, quotes, stories, watches

    for r in (articles, events, actors, places, quotes, stories, meta):
        app.include_router(r.router, prefix="/api", dependencies=[Depends(require_read)])
    app.include_router(watches.router, prefix="/api")

    from ..web import views

    app.mount("/static", StaticFiles(directory=WEB / "static"), name="static")
    app.include_router(views.router)
    return app


def app_from_env() -> FastAPI:
    """The app from the settings alone (db, api_token, ... from WIREWATCH_* variables): the factory each
    `serve --workers N` process calls. Story clustering is left to a single writer, so it runs only when
    WIREWATCH_SERVE_STORIES is 1 (serve sets it when there is one worker)."""
    import os

    return create_app(settings=load_settings(), track_stories=os.environ.get("WIREWATCH_SERVE_STORIES") == "1")


class SecurityHeaders:
    """Pure ASGI middleware (cheaper than @app.middleware): the CSP and friends on every response.

    Swagger UI at /api/docs loads from a CDN, so it is the one page without the strict policy.
    """

    HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
               (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")]

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        skip_csp = scope.get("path") == "/api/docs"

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                extra = self.HEADERS[1:] if skip_csp else self.HEADERS
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _attach_stories(store: Store) -> None:
    """Cluster API-ingested articles into stories, as ingest does (skipped if already attached)."""
    try:
        from .. import stories
    except ImportError:
        return
    if any(isinstance(cb, stories.StoryTracker) for cb in store.on_write):
        return
    try:
        stories.attach(store)
    except Exception:  # stories are a view of the data; the API works without them
        log.exception("could not attach story clustering")
