"""Build `wirewatch/sample/pages.warc.gz` from the HTML pages in `scripts/sample_pages/`.

The pages are fictional (see wirewatch/sample/README.md). `sample_pages/pages.json`
gives each page's URL (under made-up `.example` domains) and fetch time. Record
ids are derived from the URL and no timestamps are taken from the clock, so the
same pages always give the same bytes: `python scripts/build_sample_warc.py`
and then `git diff --stat` shows nothing unless a page changed.
"""

from __future__ import annotations

import json
import uuid
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "scripts" / "sample_pages"
OUT = ROOT / "wirewatch" / "sample" / "pages.warc.gz"
NS = uuid.UUID("6f3c2a1e-9d4b-4c1a-8e57-0b9a3f2d7c10")  # fixed namespace for the record ids


def _rid(name: str) -> str:
    return f"<urn:uuid:{uuid.uuid5(NS, name)}>"


def build(out: Path = OUT) -> int:
    pages = json.loads((PAGES / "pages.json").read_text("utf-8"))
    with open(out, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        info = writer.create_warcinfo_record(out.name, {"software": "wirewatch scripts/build_sample_warc.py",
                                                        "description": "fictional sample pages"})
        info.rec_headers.replace_header("WARC-Record-ID", _rid("warcinfo"))
        info.rec_headers.replace_header("WARC-Date", pages[0]["warc_date"])
        writer.write_record(info)
        for p in pages:
            body = (PAGES / p["file"]).read_bytes()
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            rec = writer.create_warc_record(p["url"], "response", payload=BytesIO(body), http_headers=http,
                                            warc_headers_dict={"WARC-Date": p["warc_date"],
                                                               "WARC-Record-ID": _rid(p["url"])})
            writer.write_record(rec)
    return len(pages)


if __name__ == "__main__":
    n = build()
    print(f"wrote {n} response records to {OUT.relative_to(ROOT)}")
