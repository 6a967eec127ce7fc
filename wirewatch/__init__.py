"""wirewatch: turn the news into structured, evidence-linked event data."""

from __future__ import annotations

import logging

from .errors import InputError, WirewatchError
from .models import Article, ArticleRecord, Entity, Event, Place, Quantity, Quote, Time
from .nlp.pipeline import Extractor, extract, extract_many
from .read.files import read_file
from .settings import Settings, load_settings

__version__ = "0.1.0"
__all__ = [
    "Article", "ArticleRecord", "Entity", "Event", "Extractor", "InputError", "Place", "Quantity",
    "Quote", "Settings", "Time", "WirewatchError", "extract", "extract_many", "load_settings", "read_file",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
