import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.utils import timezone

from personnel import models
from personnel.audit.verify import verify_chain
from personnel.demo import DEMO_PASSWORD, demo_logins
from personnel.selectors import Role, cadres_for_user, user_roles

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_province_once(settings):
    call_command("seed_demo", "--registry-only", verbosity=0)
    counts = {
        m: m.objects.count()
        for m in (
            models.Cadre,
            models.OrgUnit,
            models.Committee,
            models.PositionHolding,
            models.User,
        )
    }
    assert counts[models.Cadre] >= 300
    names = set(models.OrgUnit.objects.values_list("name", flat=True))
    assert {"Thành phố Cao Lãnh", "Huyện Hồng Ngự", "Huyện Bạch Thông"} <= names

    standing = models.Committee.objects.filter(kind=models.CommitteeKind.STANDING).annotate(
        members=Count("memberships", filter=Q(memberships__ended_on__isnull=True)),
        chairs=Count("memberships", filter=Q(memberships__role="chair")),
    )
    assert standing.count() >= 4
    for committee in standing:
        assert 7 <= committee.members <= 15, committee
        assert committee.chairs == 1, committee

    User = models.User
    expected_roles = {
        "admin": Role.ADMINISTRATOR,
        "tochuc": Role.ORG_BOARD_STAFF,
        "uyvien": Role.COMMITTEE_MEMBER,
        "chutich": Role.COMMITTEE_CHAIR,
        "kiemtra": Role.INSPECTION_AUDITOR,
        "canbo": Role.CADRE,
    }
    assert {name for name, _ in demo_logins()} >= set(expected_roles)
    for username, role in expected_roles.items():
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        assert role in user_roles(user=user), username
    caolanh = User.objects.get(username="caolanh")
    visible_units = set(cadres_for_user(user=caolanh).values_list("unit__name", flat=True))
    assert "Huyện Hồng Ngự" not in visible_units and visible_units
    assert list(cadres_for_user(user=User.objects.get(username="canbo"))) == [
        User.objects.get(username="canbo").cadre
    ]
    assert verify_chain().ok

    call_command("seed_demo", "--registry-only", verbosity=0)  # idempotent
    assert counts == {m: m.objects.count() for m in counts}

    from workflows.core.models import Ballot, Meeting

    call_command("seed_demo_meetings", verbosity=0)
    call_command("seed_demo_meetings", verbosity=0)
    meeting = Meeting.objects.get()
    assert meeting.chair.username == "chutich"
    assert meeting.summons.count() == meeting.body.memberships.count()
    assert Ballot.objects.get(meeting=meeting).candidates.count() >= 1


def test_seed_demo_meetings_gives_the_board_a_deadline_and_one_reminder(
    django_capture_on_commit_callbacks,
):
    """The demo shows a living inbox: the organisation board has a limit 3 working days away
    and was reminded once, however often the seed runs; the summoned were told."""
    call_command("seed_demo", "--registry-only", verbosity=0)

    from notifications.models import Notification
    from workflows.core import calendar
    from workflows.core.models import Deadline

    # (Not a transactional test: a flush would drop the rule-sets the migrations load.)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_meetings", verbosity=0)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_meetings", verbosity=0)
    deadline = Deadline.objects.get()
    assert [u.username for u in deadline.responsible.all()] == ["tochuc"]
    assert calendar.working_days_left(timezone.localdate(), deadline.due) == 3
    reminders = Notification.objects.filter(kind="deadline.approaching")
    assert [(n.recipient.username, n.params["days"]) for n in reminders] == [("tochuc", 3)]
    summoned = Notification.objects.filter(kind="meeting.summoned")
    assert summoned.exists()
    assert not summoned.filter(recipient__username="tochuc").exists()  # the caller is not told


def test_seed_demo_refuses_outside_demo_mode(settings):
    settings.CADREFLOW_DEMO_MODE = False
    with pytest.raises(CommandError, match="CADREFLOW_DEMO_MODE"):
        call_command("seed_demo", "--registry-only", verbosity=0)
    assert not models.Cadre.objects.exists()
    assert not models.User.objects.filter(username="admin").exists()
