"""The one error type for bad input, so every boundary reports it the same way."""

from __future__ import annotations


class ScenarioError(ValueError):
    """A scenario, experiment or parameter file that cannot be used.

    ``str(error)`` is one line naming the file and the field, e.g.
    ``scenarios/kediri.toml: shares.apps: 1.7 is outside [0, 1]``.
    """

    def __init__(self, path: str | None, field: str | None, message: str) -> None:
        self.path = path
        self.field = field
        self.message = message
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [p for p in (self.path, self.field) if p]
        return ": ".join([*parts, self.message])
