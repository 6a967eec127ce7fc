"""A small exception hierarchy: every message names the file or field and says what is wrong."""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of every error wirewatch raises on purpose; the CLI prints it as one line."""


class InputError(WirewatchError):
    """An article could not be read: empty, binary, too large, malformed."""

    def __init__(self, source: str, problem: str):
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class ConfigError(WirewatchError):
    """A setting has a value wirewatch cannot use."""


class StoreError(WirewatchError):
    """The store could not be opened, migrated or written."""
