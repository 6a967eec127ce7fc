"""/api/places: resolved places with coordinates and counts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param

from ..app import ctx
from ..query import places_page
from .common import cursor_param, limit_param, page

router = APIRouter(tags=["places"])


@router.get("/places", summary="Places, by name, with coordinates and article and event counts")
def list_places(request: Request, q: str | None = Param(None, description="Substring of the place name."),
                country: str | None = None, limit: int = Depends(limit_param),
                cursor: str | None = Depends(cursor_param)) -> dict[str, Any]:
    items, nxt = places_page(ctx(request).store, name=q, country=country, limit=limit, cursor=cursor)
    return page(request, items, nxt)
