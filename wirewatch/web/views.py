"""Dashboard pages. Everything article-derived goes through Jinja's autoescaping; the charts are drawn
by /static/app.js from the JSON API, with textContent only - never innerHTML - so markup in an
article is shown as text, and the Content-Security-Policy forbids inline script as a second wall."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ..api.app import ApiError, ctx, require_read
from ..api.query import (
    KINDS,
    Query,
    actor_detail,
    actors_page,
    event_detail,
    events_page,
    facets,
    highlights,
    read,
    segments,
)
from ..models import PLOVER_TYPES, SECTORS, STATUSES
from ..watch import list_alerts, list_watches

TEMPLATES = Path(__file__).resolve().parent / "templates"
env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)

router = APIRouter(include_in_schema=False)

FILTER_FIELDS = ("q", "actor", "country", "sector", "type", "status", "since", "until", "place", "source")


def render(request: Request, template: str, status: int = 200, **data: Any) -> HTMLResponse:
    tpl = env.get_template(template)
    return HTMLResponse(tpl.render(request=request, path=request.url.path, **data), status_code=status)


def render_error(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def _qs(params: dict[str, Any], **change: Any) -> str:
    d = {k: v for k, v in {**params, **change}.items() if v not in (None, "")}
    return "?" + urlencode(d) if d else "?"


def _filters(request: Request) -> tuple[Query, dict[str, str]]:
    raw = {k: request.query_params.get(k) for k in FILTER_FIELDS}
    return Query.parse(**raw), {k: v for k, v in raw.items() if v}


@router.get("/", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def dashboard(request: Request) -> HTMLResponse:
    c = ctx(request)
    q, raw = _filters(request)
    cursor = request.query_params.get("cursor")
    items, nxt = events_page(c.store, q, limit=50, cursor=cursor)
    api_qs = urlencode(q.to_dict())
    totals = {"articles": read(c.store, "SELECT count(*) FROM articles")[0][0],
              "events": read(c.store, "SELECT count(*) FROM events")[0][0]}
    return render(request, "dashboard.html", events=items, next_cursor=nxt, f=raw, qs=_qs,
                  facets=facets(c.store, q), stats=totals, api_qs=api_qs,
                  types=PLOVER_TYPES, statuses=STATUSES, sectors=SECTORS, first_page=not cursor)


@router.get("/events/{article_id}/{event_id}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def event_page(request: Request, article_id: str, event_id: str) -> HTMLResponse:
    ev = event_detail(ctx(request).store, article_id, event_id)
    if ev is None:
        raise ApiError(404, f"no event {event_id!r} in article {article_id!r}")
    s = ev["sentence"]
    segs = segments(s["text"], ev["evidence"], offset=s["start"])
    return render(request, "event.html", ev=ev, segs=segs)


@router.get("/articles/{article_id}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def article_page(request: Request, article_id: str) -> HTMLResponse:
    c = ctx(request)
    rec = c.store.get_record(article_id)
    if rec is None:
        raise ApiError(404, f"no article with id {article_id!r}")
    hl = highlights(rec)
    segs = segments(rec.article.text, hl)
    ents = {e.id: e for e in rec.entities}
    counts = {k: sum(1 for h in hl if h["kind"] == k) for k in KINDS}
    return render(request, "article.html", rec=rec, segs=segs, ents=ents, kinds=KINDS, counts=counts,
                  places={p.id: p for p in rec.places})


@router.get("/actors", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def actors_list(request: Request) -> HTMLResponse:
    name = request.query_params.get("q") or None
    cursor = request.query_params.get("cursor") or None
    items, nxt = actors_page(ctx(request).store, name=name, limit=100, cursor=cursor)
    return render(request, "actors.html", items=items, next_cursor=nxt, name=name or "", qs=_qs)


@router.get("/actors/{name:path}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def actor_page(request: Request, name: str) -> HTMLResponse:
    d = actor_detail(ctx(request).store, name, max_events=300)
    if d is None:
        raise ApiError(404, f"no actor named {name!r}")
    return render(request, "actor.html", a=d, api=f"/api/actors/{name}")


@router.get("/watches", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def watches_page(request: Request) -> HTMLResponse:
    c = ctx(request)
    return render(request, "watches.html", watches=list_watches(c.store), alerts=list_alerts(c.store, limit=100),
                  types=PLOVER_TYPES, statuses=STATUSES, sectors=SECTORS,
                  writes_enabled=bool(c.settings.api_token))


@router.get("/alerts", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def alerts_page(request: Request) -> Response:
    return RedirectResponse("/watches#alerts", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", failed=False)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Sets the token cookie the dashboard sends when reads are closed (form parsed by hand:
    python-multipart is not a dependency)."""
    import hmac
    from urllib.parse import parse_qs

    token = (parse_qs((await request.body()).decode("utf-8", "replace")).get("token") or [""])[0]
    want = ctx(request).settings.api_token
    if not want or not hmac.compare_digest(token.encode(), want.encode()):
        return render(request, "login.html", status=403, failed=True)
    resp = RedirectResponse("/", status_code=303)
    resp.set_cookie("wirewatch_token", token, httponly=True, samesite="strict")
    return resp


@router.get("/stories", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def stories_page(request: Request) -> HTMLResponse:
    from .. import stories

    store = ctx(request).store
    q = request.query_params.get("q") or None
    found = stories.search_stories(store, q, limit=100) if q else stories.list_stories(store, limit=100)
    return render(request, "stories.html", items=found, q=q or "")


@router.get("/stories/{story_id}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def story_page(request: Request, story_id: int) -> HTMLResponse:
    from ..api.routers.stories import story_detail

    d = story_detail(ctx(request).store, story_id)
    if d is None:
        raise ApiError(404, f"no story with id {story_id}")
    return render(request, "story.html", s=d)
