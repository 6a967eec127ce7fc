"""/api/articles: search, read one record with its highlights, and ingest (token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from ..app import ApiError, Context, ctx, require_write
from ..query import Query, articles_page, highlights
from .common import cursor_param, filters, found, limit_param, page

router = APIRouter(tags=["articles"])


class ArticleIn(BaseModel):
    """An article to analyse and store: its text, or a URL for the server to fetch (not both needed)."""

    text: str | None = Field(None, description="The article body. If absent, `url` is fetched.")
    url: str | None = Field(None, description="The article's URL; fetched when `text` is absent.")
    title: str | None = None
    published: str | None = Field(None, description="ISO date or datetime of publication.")
    source: str | None = Field(None, description="The outlet, e.g. 'Reuters'.")


@router.get("/articles", summary="Search articles")
def list_articles(request: Request, q: Query = Depends(filters), limit: int = Depends(limit_param),
                  cursor: str | None = Depends(cursor_param)) -> dict[str, Any]:
    items, nxt = articles_page(ctx(request).store, q, limit=limit, cursor=cursor)
    for it in items:
        it["links"] = {"self": f"/api/articles/{it['id']}", "html": f"/articles/{it['id']}"}
    return page(request, items, nxt, filters=q.to_dict())


@router.get("/articles/{article_id}", summary="One article record with the spans of every extracted item")
def get_article(request: Request, article_id: str) -> dict[str, Any]:
    c = ctx(request)
    rec = found(c.store.get_record(article_id), f"article with id {article_id!r}")
    meta = c.store.get_meta(article_id)
    out = rec.to_dict()
    out["meta"] = None if meta is None else {"seq": meta.seq, "source_id": meta.source_id,
                                             "fetched_at": meta.fetched_at, "ingested_at": meta.ingested_at}
    out["highlights"] = highlights(rec)
    out["links"] = {"html": f"/articles/{article_id}"}
    return out


@router.post("/articles", status_code=201, summary="Analyse and store an article (needs the API token)",
             dependencies=[Depends(require_write)])
def post_article(request: Request, body: ArticleIn) -> dict[str, Any]:
    c = ctx(request)
    art, source_id, fetched_at = _read(c, body)
    rec = c.extractor.extract(art)
    stored = c.store.put(rec, source_id=source_id, fetched_at=fetched_at)
    alerts = [a.to_dict() for a in _alerts_for(c, rec.article.id)] if stored else []
    return {"id": rec.article.id, "stored": stored, "events": len(rec.events), "entities": len(rec.entities),
            "alerts": alerts, "links": {"self": f"/api/articles/{rec.article.id}",
                                        "html": f"/articles/{rec.article.id}"}}


def _read(c: Context, body: ArticleIn) -> tuple[Any, str, str | None]:
    from ...errors import InputError
    from ...read.files import article_from_mapping

    if body.text and body.text.strip():
        try:
            art = article_from_mapping(body.model_dump(), body.url or "api", published=body.published)
        except InputError as e:
            raise ApiError(400, str(e)) from e
        return art, body.url or f"api:{art.id}", None
    if not body.url:
        raise ApiError(400, "give the article 'text', or a 'url' to fetch")
    if not body.url.startswith(("http://", "https://")):
        raise ApiError(400, f"url {body.url!r}: only http:// and https:// URLs can be fetched")
    from ...read.feeds import Fetcher, fetch_page
    from ...read.sources import ReadFailure

    item = fetch_page(Fetcher.from_settings(c.settings), body.url, published=body.published, title=body.title,
                      max_bytes=c.settings.fetch_max_bytes)
    if isinstance(item, ReadFailure):
        raise ApiError(502, f"could not fetch {body.url}: {item.reason}")
    if body.source:
        item.article.source = body.source
    return item.article, item.source_id, item.fetched_at


def _alerts_for(c: Context, article_id: str) -> list[Any]:
    from ...watch import list_alerts

    return [a for a in list_alerts(c.store, limit=100) if a.article_id == article_id]
