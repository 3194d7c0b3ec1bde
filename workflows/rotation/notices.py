"""What the rotation and transfer procedure tells people. Registered when the app loads
(``apps.py``), so the inbox can render them before any rotation service has been imported.

The cadre hears of their own decision and placement; the receiving unit's organisation board
hears of a handover and of a report due; the plan's board of the end of a rotation. Nothing
carries a vote.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from notifications import kinds

PLAN_VOTED = kinds.register(
    kinds.Kind(
        "rotation.plan_voted",
        title=_("Rotation plan approved: %(plan)s"),
        body=_("%(carried)s cadre(s) carried by the standing committee's vote."),
        label=_("A rotation plan is approved by the standing committee"),
        email_default=True,
    )
)
DECIDED = kinds.register(
    kinds.Kind(
        "rotation.decided",
        title=_("%(kind)s decided: %(post)s"),
        body=_("Decision %(number)s of %(date)s; you start on %(starts)s."),
        label=_("A decision rotates or transfers me"),
        email_default=True,
        moments=("date", "starts"),
    )
)
HANDED_OVER = kinds.register(
    kinds.Kind(
        "rotation.handed_over",
        title=_("To be received in your unit: %(cadre)s"),
        body=_("%(post)s — handed over on %(date)s; confirm the reception."),
        label=_("A rotated or transferred cadre is handed over to my unit"),
        email_default=True,
        moments=("date",),
    )
)
REPORT_DUE = kinds.register(
    kinds.Kind(
        "rotation.report_due",
        title=_("Rotation report due: %(cadre)s"),
        body=_("Report no. %(number)s, due %(due)s."),
        label=_("A report on a rotated cadre is due"),
        email_default=True,
        moments=("due",),
    )
)
REVIEW_DUE = kinds.register(
    kinds.Kind(
        "rotation.review_due",
        title=_("End of rotation: %(cadre)s"),
        body=_("The rotation ended on %(end)s: record the review and propose the placement."),
        label=_("A rotation reaches its end"),
        email_default=True,
        moments=("end",),
    )
)
PLACED = kinds.register(
    kinds.Kind(
        "rotation.placed",
        title=_("After your rotation: %(post)s"),
        body=_("%(placement)s — decision %(number)s, from %(date)s."),
        label=_("My placement after a rotation is decided"),
        email_default=True,
        moments=("date",),
    )
)
