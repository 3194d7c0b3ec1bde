"""Every personnel service writes exactly its audit events, in its transaction."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from personnel import models, services
from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from personnel.audit.services import AuditError, audit_record
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def actor():
    return UserFactory(username="tochuc")


def new_events(since: int):
    return list(AuditEvent.objects.filter(seq__gt=since).order_by("seq"))


def head() -> int:
    last = AuditEvent.objects.order_by("-seq").first()
    return last.seq if last else 0


def test_cadre_create_records_every_field(actor):
    unit = OrgUnitFactory()
    before = head()
    cadre = services.cadre_create(
        actor=actor,
        full_name="Trần Thị Lan",
        date_of_birth=D(1980, 1, 2),
        gender="F",
        education_level=models.EducationLevel.MASTER,
        unit=unit,
    )
    [event] = new_events(before)
    assert (event.action, event.target_type, event.target_id) == (
        Action.CADRE_CREATE,
        "personnel.cadre",
        str(cadre.pk),
    )
    assert event.actor == actor and event.actor_username == "tochuc"
    assert event.cadre_id == cadre.pk and event.unit_id == unit.pk
    assert event.changes["full_name"] == [None, "Trần Thị Lan"]
    assert event.changes["date_of_birth"] == [None, "1980-01-02"]


def test_cadre_update_records_before_and_after_of_changed_fields_only(actor):
    cadre = CadreFactory(home_town="Cao Lãnh", ethnicity="Kinh")
    before = head()
    services.cadre_update(
        actor=actor, cadre=cadre, home_town="Hồng Ngự", ethnicity="Kinh", reason="Cập nhật lý lịch"
    )
    [event] = new_events(before)
    assert event.action == Action.CADRE_UPDATE
    assert event.changes == {"home_town": ["Cao Lãnh", "Hồng Ngự"]}
    assert event.reason == "Cập nhật lý lịch"


def test_update_without_change_writes_nothing(actor):
    cadre = CadreFactory(home_town="Cao Lãnh")
    before = head()
    services.cadre_update(actor=actor, cadre=cadre, home_town="Cao Lãnh")
    assert new_events(before) == []


@pytest.mark.parametrize(
    ("call", "action"),
    [
        (
            lambda a, c, p: services.discipline_record_add(
                actor=a, cadre=c, kind=models.DisciplineKind.WARNING, effective_on=D(2024, 1, 1)
            ),
            Action.DISCIPLINE_ADD,
        ),
        (
            lambda a, c, p: services.investigation_open(
                actor=a, cadre=c, kind="inspection", opened_on=D(2024, 1, 1)
            ),
            Action.INVESTIGATION_OPEN,
        ),
        (
            lambda a, c, p: services.political_conclusion_add(
                actor=a, cadre=c, concluded_on=D(2025, 1, 1), outcome="meets"
            ),
            Action.POLITICAL_CONCLUSION_ADD,
        ),
        (
            lambda a, c, p: services.evaluation_result_add(
                actor=a, cadre=c, year=2024, level=models.EvaluationLevel.GOOD, score=80
            ),
            Action.EVALUATION_ADD,
        ),
        (
            lambda a, c, p: services.planning_entry_add(
                actor=a, cadre=c, position=p, term_start_year=2025, term_end_year=2030
            ),
            Action.PLANNING_ADD,
        ),
        (
            lambda a, c, p: services.training_record_add(
                actor=a, cadre=c, kind="fostering", title="Bồi dưỡng", started_on=D(2024, 1, 1)
            ),
            Action.TRAINING_ADD,
        ),
        (
            lambda a, c, p: services.holding_start(
                actor=a, cadre=c, position=p, started_on=D(2024, 1, 1)
            ),
            Action.HOLDING_START,
        ),
    ],
)
def test_record_services_write_one_event_about_the_cadre(actor, call, action):
    cadre = CadreFactory()
    position = PositionFactory()
    before = head()
    call(actor, cadre, position)
    [event] = new_events(before)
    assert event.action == action
    assert event.cadre_id == cadre.pk
    assert event.unit_id is not None


def test_holding_end_and_investigation_close(actor):
    cadre = CadreFactory()
    holding = services.holding_start(
        actor=actor, cadre=cadre, position=PositionFactory(), started_on=D(2020, 1, 1)
    )
    case = services.investigation_open(
        actor=actor, cadre=cadre, kind="inspection", opened_on=D(2024, 1, 1)
    )
    before = head()
    services.holding_end(actor=actor, holding=holding, ended_on=D(2024, 12, 31))
    services.investigation_close(actor=actor, case=case, closed_on=D(2025, 1, 1))
    events = new_events(before)
    assert [(e.action, e.changes) for e in events] == [
        (Action.HOLDING_END, {"ended_on": [None, "2024-12-31"]}),
        (Action.INVESTIGATION_CLOSE, {"closed_on": [None, "2025-01-01"]}),
    ]


def test_membership_add_records_membership_and_scope_change(actor):
    committee = CommitteeFactory()
    member = UserFactory()
    before = head()
    services.membership_add(
        actor=actor, committee=committee, user=member, role="chair", started_on=D(2025, 10, 1)
    )
    events = new_events(before)
    assert [e.action for e in events] == [Action.MEMBERSHIP_ADD, Action.SCOPE_UPDATE]
    assert events[0].unit_id == committee.unit_id
    assert events[1].changes["granted"][1] == {
        "access_unit": [committee.unit_id],
        "chair_committee": [committee.pk],
        "view_committee": [committee.pk],
    }


def test_membership_end_records_end_and_revocation(actor):
    committee = CommitteeFactory()
    member = UserFactory()
    membership = services.membership_add(
        actor=actor, committee=committee, user=member, started_on=D(2025, 10, 1)
    )
    before = head()
    services.membership_end(actor=actor, membership=membership, ended_on=D(2025, 10, 2))
    events = new_events(before)
    assert [e.action for e in events] == [Action.MEMBERSHIP_END, Action.SCOPE_UPDATE]
    assert events[1].changes["revoked"][1]["access_unit"] == [committee.unit_id]


def test_unit_position_committee_creation(actor):
    before = head()
    unit = services.org_unit_create(
        actor=actor,
        name="Huyện Thử",
        code="thu",
        kind="district_party",
        management_level="district",
    )
    services.position_create(
        actor=actor, title="Bí thư", unit=unit, level=models.PositionLevel.DISTRICT_HEAD
    )
    services.committee_create(
        actor=actor, name="BTV", kind="standing", unit=unit, term_start=D(2025, 10, 1)
    )
    assert [e.action for e in new_events(before)] == [
        Action.UNIT_CREATE,
        Action.POSITION_CREATE,
        Action.COMMITTEE_CREATE,
    ]
    assert {e.unit_id for e in new_events(before)} == {unit.pk}


def _started_holding():
    return services.holding_start(
        actor=None, cadre=CadreFactory(), position=PositionFactory(), started_on=D(2025, 1, 1)
    )


@pytest.mark.parametrize(
    ("setup", "bad_call"),
    [
        (
            CadreFactory,
            lambda a, c: services.evaluation_result_add(
                actor=a, cadre=c, year=2024, level=30, score=150
            ),
        ),
        (
            _started_holding,
            lambda a, h: services.holding_end(actor=a, holding=h, ended_on=D(2020, 1, 1)),
        ),
        (
            CadreFactory,
            lambda a, c: services.cadre_update(actor=a, cadre=c, date_of_birth=D(1800, 1, 1)),
        ),
        (
            CadreFactory,
            lambda a, c: services.training_record_add(
                actor=a,
                cadre=c,
                kind="fostering",
                title="x",
                started_on=D(2024, 1, 2),
                ended_on=D(2024, 1, 1),
            ),
        ),
    ],
)
def test_rejected_actions_write_no_event(actor, setup, bad_call):
    target = setup()
    before = head()
    with pytest.raises(ValidationError):
        bad_call(actor, target)
    assert new_events(before) == []


def test_seat_conflict_writes_no_event(actor):
    position = PositionFactory(seats=1)
    services.holding_start(
        actor=actor, cadre=CadreFactory(), position=position, started_on=D(2024, 1, 1)
    )
    before = head()
    with pytest.raises(ValidationError):
        services.holding_start(
            actor=actor, cadre=CadreFactory(), position=position, started_on=D(2024, 6, 1)
        )
    assert new_events(before) == []


def test_dossier_opening_is_an_audited_read(client):
    from tests.factories import member_of

    cadre = CadreFactory()
    user = member_of(CommitteeFactory(unit=cadre.unit))
    client.force_login(user)
    before = head()
    response = client.get(
        f"/personnel/cadres/{cadre.pk}/",
        HTTP_USER_AGENT="Firefox/140",
        HTTP_X_REQUEST_ID="req-123",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-123"
    [event] = new_events(before)
    assert (event.action, event.actor, event.cadre_id) == (Action.CADRE_VIEW, user, cadre.pk)
    assert (event.ip, event.user_agent, event.request_id) == ("10.1.2.3", "Firefox/140", "req-123")


def test_out_of_scope_dossier_writes_nothing(client):
    from tests.factories import member_of

    cadre = CadreFactory()
    user = member_of(CommitteeFactory())
    client.force_login(user)
    before = head()
    assert client.get(f"/personnel/cadres/{cadre.pk}/").status_code == 404
    assert new_events(before) == []


def test_audit_record_refuses_to_run_outside_a_transaction(actor, django_db_blocker):
    from django.db import transaction

    assert transaction.get_connection().in_atomic_block  # the test's own transaction
    with pytest.raises(AuditError):
        # Simulate autocommit by leaving the atomic block's bookkeeping aside.
        conn = transaction.get_connection()
        saved = conn.in_atomic_block
        conn.in_atomic_block = False
        try:
            audit_record(actor=actor, action=Action.CADRE_VIEW, target=("personnel.cadre", 1))
        finally:
            conn.in_atomic_block = saved
