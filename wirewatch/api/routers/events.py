"""/api/events: filtered event lists and one event with its evidence spans."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ..app import ctx
from ..query import Query, event_detail, events_page
from .common import cursor_param, filters, found, limit_param, page

router = APIRouter(tags=["events"])


def _links(ev: dict[str, Any]) -> dict[str, Any]:
    aid, vid = ev["article_id"], ev["event_id"]
    ev["links"] = {"self": f"/api/events/{aid}/{vid}", "html": f"/events/{aid}/{vid}",
                   "article": f"/api/articles/{aid}"}
    return ev


@router.get("/events", summary="Search events")
def list_events(request: Request, q: Query = Depends(filters), limit: int = Depends(limit_param),
                cursor: str | None = Depends(cursor_param)) -> dict[str, Any]:
    items, nxt = events_page(ctx(request).store, q, limit=limit, cursor=cursor)
    return page(request, [_links(e) for e in items], nxt, filters=q.to_dict())


@router.get("/events/{article_id}/{event_id}", summary="One event with its evidence (sentence and spans)")
def get_event(request: Request, article_id: str, event_id: str) -> dict[str, Any]:
    ev = event_detail(ctx(request).store, article_id, event_id)
    return _links(found(ev, f"event {event_id!r} in article {article_id!r}"))
