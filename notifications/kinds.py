"""What a notification can say. Adding a kind is one ``register(Kind(...))`` call.

A notification stores its kind's code and plain parameters; the text is rendered when it is
shown or e-mailed, in the recipient's language. Parameters named in ``translated`` hold msgids
(a task's or a ballot kind's name) and are translated too; those in ``moments`` hold ISO
date-times and are formatted in the recipient's language and time zone.

Never put a vote choice, a tally of a sealed step, or who has or has not voted into a parameter.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Kind:
    code: str
    #: shown in the list, the toast and the e-mail subject, e.g. _("Summoned: %(meeting)s")
    title: str
    #: what the preference page calls it
    label: str
    #: one line under the title (optional)
    body: str = ""
    #: e-mailed unless the user turns it off
    email_default: bool = False
    translated: tuple[str, ...] = field(default_factory=tuple)
    moments: tuple[str, ...] = field(default_factory=tuple)

    def render(self, params: dict, language: str | None = None) -> tuple[str, str]:
        """(title, body) in ``language`` (the active one when None)."""
        with translation.override(language or translation.get_language()):
            values = {}
            language = translation.get_language()
            for key, value in (params or {}).items():
                if isinstance(value, dict):  # from in_every_language
                    value = value.get(language) or next(iter(value.values()), "")
                elif key in self.translated and isinstance(value, str):
                    value = gettext(value) if value else value
                elif key in self.moments and isinstance(value, str):
                    value = _format_moment(value)
                values[key] = value
            return _fill(str(self.title), values), _fill(str(self.body), values)


def in_every_language(text) -> dict[str, str]:
    """A parameter that is shown translated: ``text`` (a lazy string, or a callable returning
    one) rendered in each configured language, stored as {"vi": ..., "en": ...}."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out[code] = str(text() if callable(text) else text)
    return out


class _Missing(dict):
    def __missing__(self, key):
        return "…"


def _fill(template: str, values: dict) -> str:
    if not template:
        return ""
    return template % _Missing(values)


def _format_moment(value: str) -> str:
    # A date first: datetime.fromisoformat("2026-05-05") succeeds too, and a due date would
    # read "05/05/2026 midnight".
    try:
        return formats.date_format(dt.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "SHORT_DATETIME_FORMAT")


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    if kind.code in KINDS and KINDS[kind.code] != kind:
        raise ValueError(f"notification kind {kind.code!r} registered twice")
    KINDS[kind.code] = kind
    return kind


def get(code: str) -> Kind:
    return KINDS[code]


# --- The kinds every procedure uses. Procedures register their own next to their services.

TASK_ASSIGNED = register(
    Kind(
        "task.assigned",
        title=_("Task assigned to you: %(task)s"),
        body=_("%(process)s"),
        label=_("A task is assigned to me"),
        email_default=True,
        translated=("task",),
    )
)
TASK_QUEUED = register(
    Kind(
        "task.queued",
        title=_("New task in your queue: %(task)s"),
        body=_("%(process)s"),
        label=_("A task waits in a queue I can take from"),
        translated=("task",),
    )
)
MEETING_SUMMONED = register(
    Kind(
        "meeting.summoned",
        title=_("You are summoned: %(meeting)s"),
        body=_("%(when)s, %(place)s"),
        label=_("I am summoned to a meeting"),
        email_default=True,
        moments=("when",),
    )
)
BALLOT_OPENED = register(
    Kind(
        "ballot.opened",
        title=_("Voting is open: %(ballot)s"),
        body=_("%(meeting)s"),
        label=_("A ballot I may vote in opens"),
    )
)
BALLOT_CLOSED = register(
    Kind(
        "ballot.closed",
        title=_("Voting has closed: %(ballot)s"),
        body=_("%(meeting)s"),
        label=_("A ballot I was summoned to closes"),
    )
)
DEADLINE_APPROACHING = register(
    Kind(
        "deadline.approaching",
        title=_("%(days)s working day(s) left: %(deadline)s"),
        body=_("%(subject)s — due %(due)s"),
        label=_("A deadline I am responsible for approaches"),
        email_default=True,
        translated=("deadline",),
        moments=("due",),
    )
)
DEADLINE_PASSED = register(
    Kind(
        "deadline.passed",
        title=_("Deadline passed: %(deadline)s"),
        body=_("%(subject)s — it was due %(due)s"),
        label=_("A deadline I am responsible for has passed"),
        email_default=True,
        translated=("deadline",),
        moments=("due",),
    )
)
AUDIT_CHAIN_BROKEN = register(
    Kind(
        "audit.chain_broken",
        title=_("The audit trail failed verification"),
        body=_("First problem at event %(seq)s: %(problem)s"),
        label=_("The audit trail fails verification (auditors and administrators)"),
        email_default=True,
    )
)
