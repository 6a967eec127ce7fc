"""/api/quotes: who said what, with the quote's offsets in its article."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from ..app import ctx
from ..query import Query, quotes_page
from .common import cursor_param, filters, limit_param, page

router = APIRouter(tags=["quotes"])


@router.get("/quotes", summary="Quotes; q matches the quote text, actor the speaker")
def list_quotes(request: Request, q: Query = Depends(filters), limit: int = Depends(limit_param),
                cursor: str | None = Depends(cursor_param)) -> dict[str, Any]:
    items, nxt = quotes_page(ctx(request).store, q, limit=limit, cursor=cursor)
    for it in items:
        it["links"] = {"article": f"/api/articles/{it['article_id']}",
                       "html": f"/articles/{it['article_id']}#quote-{it['quote_id']}"}
    return page(request, items, nxt)
