"""Aggregates for dashboards: stats, facets, the timeline and the map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ..app import ctx
from ..query import Query, facets, map_points, timeline
from .common import filters

router = APIRouter(tags=["aggregates"])


@router.get("/stats", summary="Counts overall and per source, day, type and country")
def stats(request: Request) -> dict[str, Any]:
    s = ctx(request).store.stats()
    d = s.to_dict()
    for k in ("by_source", "by_day", "by_type", "by_country"):
        d[k] = [{"value": a, "count": n} for a, n in d[k]]
    return d


@router.get("/facets", summary="Event counts by type, status, country and source under the filters")
def get_facets(request: Request, q: Query = Depends(filters)) -> dict[str, Any]:
    return {"facets": facets(ctx(request).store, q), "filters": q.to_dict()}


@router.get("/timeline", summary="Event counts per day and type under the filters")
def get_timeline(request: Request, q: Query = Depends(filters)) -> dict[str, Any]:
    return {"items": timeline(ctx(request).store, q), "filters": q.to_dict()}


@router.get("/map", summary="Event locations and per-country counts under the filters")
def get_map(request: Request, q: Query = Depends(filters)) -> dict[str, Any]:
    return {**map_points(ctx(request).store, q), "filters": q.to_dict()}
