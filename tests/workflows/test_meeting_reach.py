"""``selectors._in_reach`` (a ballot's meeting, checked in memory and by key) answers exactly as
``meetings_for_user`` does, for every kind of user and meeting."""

import datetime as dt

import pytest
from django.utils import timezone

from personnel import services as personnel_services
from personnel.models import CommitteeKind, CommitteeMembership, MembershipRole
from tests.factories import CommitteeFactory, UserFactory, member_of
from workflows.core import selectors, services
from workflows.core.models import Ballot, RuleSet

pytestmark = pytest.mark.django_db


def test_in_reach_agrees_with_meetings_for_user(province, district_a, district_b):
    ruleset = RuleSet.objects.get(code="qd377-2025")
    province_body = CommitteeFactory(unit=province, name="BTV Tỉnh")
    district_body = CommitteeFactory(unit=district_a, name="BTV Huyện A")
    province_board = CommitteeFactory(unit=province, kind=CommitteeKind.ORGANISATION_BOARD)
    board_a = CommitteeFactory(unit=district_a, kind=CommitteeKind.ORGANISATION_BOARD)
    board_b = CommitteeFactory(unit=district_b, kind=CommitteeKind.ORGANISATION_BOARD)
    chair = member_of(province_body, role=MembershipRole.CHAIR)
    users = {
        "chair": chair,
        "province member": member_of(province_body),
        "district member": member_of(district_body),
        "province board": member_of(province_board),
        "board of A": member_of(board_a),
        "board of B": member_of(board_b),
        "outsider": UserFactory(),
        "superuser": UserFactory(is_superuser=True),
        "inactive": member_of(province_body, user=UserFactory(is_active=False)),
    }
    left = member_of(district_body)
    personnel_services.membership_end(
        actor=None,
        membership=CommitteeMembership.objects.get(user=left, committee=district_body),
        ended_on=timezone.localdate() - dt.timedelta(days=1),
    )
    users["left the competent body"] = left
    staff = users["province board"]
    meetings = [
        services.meeting_create(
            actor=staff,
            title=title,
            kind=kind,
            unit=unit,
            body=body,
            competent_body=competent,
            ruleset=ruleset,
            chair=chair,
            scheduled_at=timezone.now(),
        )
        for title, kind, unit, body, competent in [
            ("province", "standing_committee", province, province_body, None),
            ("district A", "standing_committee", district_a, province_body, district_body),
            ("district B", "standing_committee", district_b, province_body, None),
        ]
    ]
    checked = 0
    for name, user in users.items():
        for meeting in meetings:
            expected = selectors.meetings_for_user(user=user).filter(pk=meeting.pk).exists()
            ballot = Ballot(meeting=meeting)
            assert selectors._in_reach(user, ballot) is expected, (name, meeting.title)
            checked += expected
    assert 0 < checked < len(users) * len(meetings)  # both answers occur
