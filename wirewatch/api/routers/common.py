"""Parameters shared by the list endpoints: the filters, the page size and the cursor."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Query as Param
from fastapi import Request

from ..app import ApiError
from ..query import MAX_LIMIT, Query

T = TypeVar("T")


def filters(
    q: str | None = Param(None, description="Full-text search over article title and text (all words must match)."),
    actor: str | None = Param(None, description="Substring of an actor or target name (case-insensitive)."),
    country: str | None = Param(None, description="ISO3 or organisation code of an actor, a target or the place."),
    sector: str | None = Param(None, description="Sector code of an actor or target (GOV, MIL, REB, ...)."),
    type: str | None = Param(None, description="PLOVER event type (ASSAULT, CONSULT, ...)."),
    status: str | None = Param(None, description="Event status: occurred, planned, expected, negated, hypothetical."),
    since: str | None = Param(None, description="Earliest date, inclusive (YYYY-MM-DD): event date, else published."),
    until: str | None = Param(None, description="Latest date, inclusive (YYYY-MM-DD)."),
    place: str | None = Param(None, description="Substring of the event's place name."),
    near: str | None = Param(None, description="'lat,lon': with radius_km, events whose place lies within the radius."),
    radius_km: str | None = Param(None, description="Radius in km around `near`."),
    source: str | None = Param(None, description="The article's source (exact, case-insensitive)."),
) -> Query:
    return Query.parse(q=q, actor=actor, country=country, sector=sector, type=type, status=status, since=since,
                       until=until, place=place, near=near, radius_km=radius_km, source=source)


def limit_param(limit: int = Param(50, ge=1, le=MAX_LIMIT, description="Items per page.")) -> int:
    return limit


def cursor_param(cursor: str | None = Param(None, description="`next_cursor` of the previous page.")) -> str | None:
    return cursor


def page(request: Request, items: list[dict[str, Any]], next_cursor: str | None, **extra: Any) -> dict[str, Any]:
    """The list envelope: items, the cursor of the next page and a ready-made link to it."""
    nxt = None
    if next_cursor:
        params = {k: v for k, v in request.query_params.items() if k != "cursor"}
        params["cursor"] = next_cursor
        nxt = f"{request.url.path}?{urlencode(params)}"
    return {"items": items, "next_cursor": next_cursor, "next": nxt, **extra}


def found(value: T | None, missing: str) -> T:
    """`value`, or the one 404 of the API when a lookup found nothing: "no " + `missing`."""
    if value is None:
        raise ApiError(404, f"no {missing}")
    return value
