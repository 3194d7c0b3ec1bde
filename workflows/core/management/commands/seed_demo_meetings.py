"""``manage.py seed_demo_meetings``: a demo meeting of the province standing committee, called by
the organisation board and chaired by the demo chair, with a prepared nomination ballot, and a
deadline three working days away (so the board sees a reminder).
Run after ``seed_demo``; idempotent; demo mode only."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from personnel.models import Cadre, Committee, CommitteeKind, User
from workflows.core import calendar, services
from workflows.core.deadlines import deadline_reminders_send, deadline_set
from workflows.core.models import BallotKind, BallotMode, Deadline, Meeting, MeetingKind, RuleSet

DEADLINE = gettext_noop("Complete the appointment dossier")
TITLE = "Hội nghị Ban Thường vụ Tỉnh ủy — giới thiệu nhân sự Phó Trưởng Ban Tổ chức Tỉnh ủy"


class Command(BaseCommand):
    help = "Create the demo meeting and ballot (after seed_demo; demo mode only)."

    def handle(self, *args, **options):
        if getattr(settings, "CADREFLOW_DEMO_MODE", False) is not True:
            raise CommandError("seed_demo_meetings runs only with CADREFLOW_DEMO_MODE = True.")
        try:
            chair = User.objects.get(username="chutich")
            staff = User.objects.get(username="tochuc")
            body = Committee.objects.get(name="Ban Thường vụ Tỉnh ủy", kind=CommitteeKind.STANDING)
        except (User.DoesNotExist, Committee.DoesNotExist) as missing:
            raise CommandError("Run seed_demo first.") from missing
        board = Committee.objects.filter(unit=body.unit, kind=CommitteeKind.ORGANISATION_BOARD)
        candidates = list(
            Cadre.objects.filter(unit__in=board.values("unit"), user__isnull=True).order_by(
                "-political_theory_level", "full_name"
            )[:3]
        )
        meeting = Meeting.objects.filter(title=TITLE).first()
        if meeting is None:
            meeting = self._meeting(staff, chair, body, candidates)
            if options["verbosity"] >= 1:
                self.stdout.write(f"Demo meeting created: {meeting}")
        if not Deadline.objects.filter(title=DEADLINE, met_at__isnull=True).exists():
            # A limit the organisation board must watch: 3 working days left, so the board is
            # reminded at once (and told when it passes, if the demo runs that long).
            start = timezone.localdate() - dt.timedelta(days=30)
            deadline_set(
                actor=staff,
                title=DEADLINE,
                subject=candidates[0].full_name if candidates else TITLE,
                starts_on=start,
                working_days=calendar.working_days_left(start, timezone.localdate()) + 3,
                responsible=[staff],
                link=f"/meetings/{meeting.pk}/",
                source="QĐ 377-QĐ/TW (demo)",
            )
        deadline_reminders_send()

    @transaction.atomic
    def _meeting(self, staff, chair, body, candidates) -> Meeting:
        meeting = services.meeting_create(
            actor=staff,
            title=TITLE,
            kind=MeetingKind.STANDING_COMMITTEE,
            unit=body.unit,
            body=body,
            competent_body=body,
            ruleset=RuleSet.objects.get(code="qd377-2025", version=1),
            chair=chair,
            scheduled_at=timezone.now() + dt.timedelta(days=1),
            place="Phòng họp số 1, trụ sở Tỉnh ủy",
        )
        services.ballot_create(
            actor=staff,
            meeting=meeting,
            kind=BallotKind.NOMINATION,
            mode=BallotMode.ELECTRONIC,
            title="Giới thiệu nhân sự Phó Trưởng Ban Tổ chức Tỉnh ủy",
            cadres=candidates,
        )
        return meeting
