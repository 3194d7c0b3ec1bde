"""Refusals a person can act on. Views turn them into a page with the right status."""

from __future__ import annotations


class Refused(Exception):
    """An action that is not possible now; the message says why, never anything secret."""

    status = 409

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class Conflict(Refused):
    """The state has moved on (closed ballot, second vote, someone else acted first)."""

    status = 409


class Forbidden(Refused):
    """The user can see the object but may not do this to it (not the chair, not summoned)."""

    status = 403


class Invalid(Refused):
    """The request itself is wrong (an unknown candidate, counts that do not add up)."""

    status = 400
