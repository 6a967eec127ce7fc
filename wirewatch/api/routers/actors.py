"""/api/actors (alias /api/entities): actors across articles, and one actor's roles, events and network."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param

from ..app import ctx
from ..query import Query, actor_detail, actors_page
from .common import cursor_param, found, limit_param, page

router = APIRouter(tags=["actors"])


@router.get("/actors", summary="Actors (people, organisations, groups, states), by name")
@router.get("/entities", summary="Alias of /api/actors", include_in_schema=False)
def list_actors(request: Request, q: str | None = Param(None, description="Substring of the name."),
                country: str | None = None, sector: str | None = None, limit: int = Depends(limit_param),
                cursor: str | None = Depends(cursor_param)) -> dict[str, Any]:
    v = Query.parse(country=country, sector=sector)
    items, nxt = actors_page(ctx(request).store, name=q, country=v.country, sector=v.sector, limit=limit,
                             cursor=cursor)
    for it in items:
        it["links"] = {"self": f"/api/actors/{it['name']}", "html": f"/actors/{it['name']}"}
    return page(request, items, nxt)


@router.get("/actors/{name:path}", summary="One actor: codes, role history, events and actor-to-actor network")
def get_actor(request: Request, name: str) -> dict[str, Any]:
    return found(actor_detail(ctx(request).store, name), f"actor named {name!r}")
