"""The inspection committee's explorer: who sees it, what it filters, what it exports."""

import csv
import datetime as dt
import io

import pytest
import time_machine

from personnel import models, services
from personnel.audit.actions import Action
from personnel.audit.export import verify_file
from personnel.audit.models import AuditEvent
from tests.factories import CadreFactory, CommitteeFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(province, district_a, district_b):
    inspection = CommitteeFactory(
        unit=district_a,
        kind=models.CommitteeKind.INSPECTION,
        name="Ủy ban Kiểm tra Thành ủy Cao Lãnh",
    )
    auditor = member_of(inspection)
    province_auditor = member_of(
        CommitteeFactory(unit=province, kind=models.CommitteeKind.INSPECTION)
    )
    member = member_of(CommitteeFactory(unit=district_a))
    staff = UserFactory(username="tochuc")
    mine = CadreFactory(full_name="Phan Văn Minh", unit=district_a)
    theirs = CadreFactory(full_name="Hồ Thị Ngoài", unit=district_b)
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)):
        services.cadre_update(
            actor=staff, cadre=mine, home_town="Mỹ Trà", reason="Bổ sung quê quán theo CCCD"
        )
        services.cadre_update(actor=staff, cadre=theirs, home_town="Thường Thới")
    with time_machine.travel(dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC)):
        services.discipline_record_add(
            actor=staff,
            cadre=mine,
            kind=models.DisciplineKind.REPRIMAND,
            effective_on=dt.date(2026, 5, 1),
        )
    return locals()


def test_only_auditors_see_the_explorer(client, setting):
    for user in (setting["member"], setting["staff"]):
        client.force_login(user)
        for url in (
            "/audit/events/",
            "/audit/events/export.csv",
            "/audit/events/report/",
            f"/audit/events/cadre/{setting['mine'].pk}/",
        ):
            assert client.get(url).status_code == 404, (user, url)
    client.force_login(setting["auditor"])
    assert client.get("/audit/events/").status_code == 200


def test_auditor_sees_only_events_in_scope(client, setting):
    client.force_login(setting["auditor"])
    page = client.get("/audit/events/").content.decode()
    assert "Mỹ Trà" in page and "Thường Thới" not in page
    assert client.get(f"/audit/events/cadre/{setting['theirs'].pk}/").status_code == 404
    client.force_login(setting["province_auditor"])
    page = client.get("/audit/events/").content.decode()
    assert "Mỹ Trà" in page and "Thường Thới" in page


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"cadre": "phan van"}, {"cadre.update", "discipline.add"}),
        ({"action": "discipline.add"}, {"discipline.add"}),
        ({"date_from": "2026-05-01"}, {"discipline.add"}),
        ({"date_to": "2026-03-10"}, {"cadre.update"}),
        ({"q": "CCCD"}, {"cadre.update"}),
        ({"actor": "tochuc", "action": "cadre.update"}, {"cadre.update"}),
        ({"actor": "nobody"}, set()),
    ],
)
def test_filters(client, setting, params, expected):
    client.force_login(setting["auditor"])
    response = client.get("/audit/events/", params)
    assert response.status_code == 200
    shown = {e.action for e in response.context["events"] if e.cadre_id == setting["mine"].pk}
    assert shown == expected


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-01"},
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        {"process": "abc"},
        {"action": "ballot.peek"},
        {"committee": "999999"},
        {"process": "-4"},
    ],
)
def test_bad_filters_are_form_errors(client, setting, params):
    client.force_login(setting["auditor"])
    response = client.get("/audit/events/", params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert client.get("/audit/events/export.csv", params).status_code == 400


def test_keyset_pagination_walks_every_event_once(client, setting):
    staff = setting["staff"]
    for i in range(120):
        services.cadre_update(actor=staff, cadre=setting["mine"], home_town=f"Xã {i}")
    client.force_login(setting["auditor"])
    seen, url = [], "/audit/events/?cadre=phan"
    while url:
        response = client.get(url)
        seen += [e.seq for e in response.context["events"]]
        before = response.context["next_before"]
        url = f"/audit/events/?cadre=phan&before={before}" if before else None
    assert len(seen) == len(set(seen)) == 122
    assert seen == sorted(seen, reverse=True)


def test_csv_export_round_trips_and_is_itself_audited(client, setting):
    client.force_login(setting["province_auditor"])
    before = AuditEvent.objects.order_by("-seq").first().seq
    response = client.get("/audit/events/export.csv")
    body = b"".join(response.streaming_content).decode()
    export_event = AuditEvent.objects.get(seq=before + 1)
    assert export_event.action == Action.AUDIT_EXPORT
    assert export_event.actor == setting["province_auditor"]
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [int(r["seq"]) for r in rows] == list(range(1, before + 2))
    count, problems = verify_file(io.StringIO(body))
    assert (count, problems) == (before + 1, [])
    # A row edited after export no longer verifies offline.
    tampered = body.replace("Bổ sung quê quán theo CCCD", "Bổ sung quê quán")
    assert verify_file(io.StringIO(tampered))[1]


def test_report_is_printable_and_audited(client, setting):
    client.force_login(setting["auditor"])
    response = client.get("/audit/events/report/", {"cadre": "Phan"})
    assert response.status_code == 200
    assert "Bổ sung quê quán theo CCCD" in response.content.decode()
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.action == Action.AUDIT_EXPORT and last.changes["format"] == "report"
    assert last.changes["filters"] == {"cadre": "Phan"}


def test_cadre_history_and_process_timeline(client, setting):
    client.force_login(setting["auditor"])
    page = client.get(f"/audit/events/cadre/{setting['mine'].pk}/")
    assert [e.action for e in page.context["events"]] == ["cadre.update", "discipline.add"]
    assert client.get("/audit/events/process/424242/").status_code == 404


def test_a_change_to_a_reverse_relation_is_shown_not_a_500(client, setting):
    """Ballot and planning-list events record their ``candidates`` (a reverse relation, which
    has no verbose name): the explorer names it after the related model."""
    from personnel.audit.services import audit_record

    with time_machine.travel(dt.datetime(2026, 5, 3, 9, tzinfo=dt.UTC)):
        audit_record(
            actor=setting["staff"],
            action=Action.BALLOT_CREATE,
            target=("core.ballot", 1),
            changes={"candidates": ["Phan Văn Minh"]},
            unit=setting["province"],
        )
    client.force_login(setting["province_auditor"])
    response = client.get("/audit/events/", {"action": Action.BALLOT_CREATE})
    assert response.status_code == 200
    from django.utils import translation

    from workflows.core.models import Ballot

    with translation.override("vi"):
        label = str(Ballot._meta.get_field("candidates").related_model._meta.verbose_name_plural)
    page = response.content.decode()
    assert "Phan Văn Minh" in page and label in page and ">candidates<" not in page
