"""/api/watches and /api/alerts: saved queries (writes need the token) and the alerts they raised."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Query as Param
from pydantic import BaseModel, Field

from ...watch import WatchQuery, add_watch, get_watch, list_alerts, list_watches, remove_watch
from ..app import ApiError, ctx, require_read, require_write
from .common import found

router = APIRouter(tags=["watches"])


class WatchIn(BaseModel):
    """A watch: a name, the conditions (all must hold) and where to deliver its alerts."""

    name: str | None = Field(None, description="A label; defaults to the conditions.")
    type: str | None = Field(None, description="PLOVER event type.")
    status: str | None = None
    country: str | None = Field(None, description="Actor, target or place country code.")
    actor: str | None = Field(None, description="Substring of an actor/target name, or its code (NATO).")
    sector: str | None = None
    text: str | None = Field(None, description="A full-text term the article must contain.")
    quantity_min: float | None = Field(None, description="A quantity over this value ...")
    unit: str | None = Field(None, description="... of this unit (troops, people, USD) ...")
    place: str | None = Field(None, description="... mentioned with this place name or country code.")
    webhook: str | None = Field(None, description="URL that receives each alert as a JSON POST.")
    log_path: str | None = Field(None, description="File the server appends each alert to (JSON lines).")


@router.get("/watches", summary="List watches", dependencies=[Depends(require_read)])
def watches(request: Request) -> dict[str, Any]:
    return {"items": [w.to_dict() for w in list_watches(ctx(request).store)]}


@router.post("/watches", status_code=201, summary="Create a watch (needs the API token)",
             dependencies=[Depends(require_write)])
def create_watch(request: Request, body: WatchIn) -> dict[str, Any]:
    d = body.model_dump()
    name, webhook, log_path = d.pop("name"), d.pop("webhook"), d.pop("log_path")
    w = add_watch(ctx(request).store, WatchQuery.parse(d), name=name, webhook=webhook, log_path=log_path)
    return w.to_dict()


@router.get("/watches/{watch_id}", summary="One watch", dependencies=[Depends(require_read)])
def one_watch(request: Request, watch_id: int) -> dict[str, Any]:
    return found(get_watch(ctx(request).store, watch_id), f"watch with id {watch_id}").to_dict()


@router.delete("/watches/{watch_id}", summary="Delete a watch and its alerts (needs the API token)",
               dependencies=[Depends(require_write)])
def delete_watch(request: Request, watch_id: int) -> dict[str, Any]:
    if not remove_watch(ctx(request).store, watch_id):
        raise ApiError(404, f"no watch with id {watch_id}")
    return {"deleted": watch_id}


@router.get("/alerts", summary="Alerts, newest first", dependencies=[Depends(require_read)])
def alerts(request: Request, watch_id: int | None = None, limit: int = Param(50, ge=1, le=500),
           before: int | None = Param(None, description="Page back: alerts with a smaller id.")) -> dict[str, Any]:
    items = [a.to_dict() for a in list_alerts(ctx(request).store, limit=limit, watch_id=watch_id, before=before)]
    nxt = str(items[-1]["id"]) if len(items) == limit else None
    return {"items": items, "next_before": nxt}
