"""What runs on every stored article: story clustering, then watches (which may use the story).

Ingest, the API and the demo attach the same hooks, so an article gets the same treatment
whichever way it arrives.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .store.base import Store


@contextmanager
def analysis_hooks(store: Store, *, stories: bool = True, watches: bool = True,
                   kb: bool = True) -> Iterator[None]:
    """Attach story clustering and the watcher to `store` for the duration of the block, and let
    extraction code untitled actors from what earlier stored articles said about them (`kb`)."""
    from . import kb as actor_kb
    from .settings import load_settings

    tracker = watcher = None
    actor_kb.set_default(actor_kb.kb_from_store(store, load_settings().kb_file) if kb else None)
    if stories:
        from .stories import attach

        tracker = attach(store)
    if watches:
        from .watch import Watcher

        watcher = Watcher(store).attach()
    try:
        yield
    finally:
        actor_kb.set_default(None)
        if watcher is not None:
            watcher.close()
        if tracker is not None and tracker in store.on_write:
            store.on_write.remove(tracker)
