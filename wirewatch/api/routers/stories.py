"""/api/stories: articles clustered into stories (`wirewatch.stories`) and their fused events."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi import Query as Param

from ..app import ctx
from ..query import Query
from .common import found

router = APIRouter(tags=["stories"])


def _story(s: Any) -> dict[str, Any]:
    return {"id": s.id, "label": s.label, "actors": s.actors, "place": s.place, "first_seen": s.first_seen,
            "last_seen": s.last_seen, "n_articles": s.n_articles,
            "links": {"self": f"/api/stories/{s.id}", "html": f"/stories/{s.id}"}}


@router.get("/stories", summary="Stories, most recently active first; q searches labels and articles")
def list_stories(request: Request, q: str | None = Param(None), since: str | None = None,
                 limit: int = Param(50, ge=1, le=500)) -> dict[str, Any]:
    from ... import stories

    store = ctx(request).store
    v = Query.parse(since=since)
    found = stories.search_stories(store, q, limit=limit) if q else stories.list_stories(store, since=v.since,
                                                                                      limit=limit)
    return {"items": [_story(s) for s in found]}


def story_detail(store: Any, story_id: int) -> dict[str, Any] | None:
    """A story with its articles (oldest first) and its fused events (one per real-world event)."""
    from ... import stories

    s = stories.get_story(store, story_id)
    if s is None:
        return None
    d = _story(s)
    arts = []
    for aid in s.article_ids:
        rec = store.get_record(aid)
        if rec is not None:
            a = rec.article
            arts.append({"id": a.id, "title": a.title, "source": a.source, "published": a.published,
                         "url": a.url, "n_events": len(rec.events)})
    d["articles"] = arts
    try:
        from ...fusion import fuse_story

        d["fused_events"] = [f.to_dict() for f in fuse_story(store, story_id)]
    except ImportError:
        d["fused_events"] = []
    return d


@router.get("/stories/{story_id}", summary="One story: its articles and fused events")
def get_story(request: Request, story_id: int) -> dict[str, Any]:
    return found(story_detail(ctx(request).store, story_id), f"story with id {story_id}")
