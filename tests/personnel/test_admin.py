import datetime as dt

import pytest

from personnel import models
from tests.factories import CadreFactory, CommitteeFactory, PositionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_pages_open(admin_client):
    for url in [
        "/admin/",
        "/admin/personnel/cadre/",
        "/admin/personnel/orgunit/",
        "/admin/personnel/committeemembership/",
        "/admin/personnel/position/",
    ]:
        assert admin_client.get(url).status_code == 200, url


def test_admin_cadre_change_page_with_inlines(admin_client):
    cadre = CadreFactory()
    assert admin_client.get(f"/admin/personnel/cadre/{cadre.pk}/change/").status_code == 200


def _inline_post(cadre, holding_rows):
    data = {
        "full_name": cadre.full_name,
        "date_of_birth": "1980-05-17",
        "gender": "M",
        "ethnicity": "Kinh",
        "home_town": cadre.home_town,
        "party_admission_date": str(cadre.party_admission_date or ""),
        "education_level": str(cadre.education_level),
        "political_theory_level": str(cadre.political_theory_level),
        "state_management_level": str(cadre.state_management_level),
        "unit": str(cadre.unit_id),
        "user": "",
    }
    prefixes = [
        "holdings",
        "evaluations",
        "planning_entries",
        "trainings",
        "political_conclusions",
        "discipline_records",
        "investigations",
    ]
    for prefix in prefixes:
        rows = holding_rows if prefix == "holdings" else []
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": str(len(rows)),
                f"{prefix}-INITIAL_FORMS": "0",
                f"{prefix}-MIN_NUM_FORMS": "0",
                f"{prefix}-MAX_NUM_FORMS": "1000",
            }
        )
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = value
    return data


def test_admin_seat_conflict_is_a_form_error(admin_client):
    position = PositionFactory(seats=1)
    models.PositionHolding.objects.create(
        cadre=CadreFactory(), position=position, started_on=dt.date(2024, 1, 1)
    )
    cadre = CadreFactory()
    data = _inline_post(cadre, [{"position": str(position.pk), "started_on": "2025-01-01"}])
    response = admin_client.post(f"/admin/personnel/cadre/{cadre.pk}/change/", data)
    assert response.status_code == 200
    assert "Chức vụ này đã đủ số lượng" in response.content.decode()
    assert not cadre.holdings.exists()


def test_admin_membership_overlap_is_a_form_error(admin_client):
    committee = CommitteeFactory()
    user = UserFactory()
    models.CommitteeMembership.objects.create(
        committee=committee, user=user, role="member", started_on=dt.date(2025, 10, 1)
    )
    response = admin_client.post(
        "/admin/personnel/committeemembership/add/",
        {"committee": committee.pk, "user": user.pk, "role": "member", "started_on": "2026-01-01"},
    )
    assert response.status_code == 200
    assert models.CommitteeMembership.objects.filter(user=user).count() == 1


def test_admin_membership_grants_scope(admin_client):
    committee = CommitteeFactory()
    user = UserFactory()
    response = admin_client.post(
        "/admin/personnel/committeemembership/add/",
        {"committee": committee.pk, "user": user.pk, "role": "chair", "started_on": "2025-10-01"},
    )
    assert response.status_code == 302
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("personnel.chair_committee", committee)


def test_admin_changes_are_audited(admin_client):
    from personnel.audit.actions import Action
    from personnel.audit.models import AuditEvent

    cadre = CadreFactory(home_town="Cao Lãnh")
    data = _inline_post(cadre, [])
    data["home_town"] = "Hồng Ngự"
    response = admin_client.post(f"/admin/personnel/cadre/{cadre.pk}/change/", data)
    assert response.status_code == 302
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == Action.ADMIN_UPDATE
    assert event.changes == {"home_town": ["Cao Lãnh", "Hồng Ngự"]}
    assert event.cadre_id == cadre.pk


def test_admin_inline_add_and_delete_are_audited(admin_client):
    from personnel.audit.actions import Action
    from personnel.audit.models import AuditEvent

    cadre = CadreFactory()
    position = PositionFactory(seats=3)
    data = _inline_post(cadre, [{"position": str(position.pk), "started_on": "2025-01-01"}])
    assert admin_client.post(f"/admin/personnel/cadre/{cadre.pk}/change/", data).status_code == 302
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.target_type) == (Action.ADMIN_CREATE, "personnel.positionholding")
    assert event.changes["started_on"] == [None, "2025-01-01"]
    holding = cadre.holdings.get()
    data = _inline_post(cadre, [])
    data.update(
        {
            "holdings-TOTAL_FORMS": "1",
            "holdings-INITIAL_FORMS": "1",
            "holdings-0-id": str(holding.pk),
            "holdings-0-cadre": str(cadre.pk),
            "holdings-0-position": str(position.pk),
            "holdings-0-started_on": "2025-01-01",
            "holdings-0-DELETE": "on",
        }
    )
    assert admin_client.post(f"/admin/personnel/cadre/{cadre.pk}/change/", data).status_code == 302
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.target_id, event.cadre_id) == (
        Action.ADMIN_DELETE,
        str(holding.pk),
        cadre.pk,
    )
    assert not cadre.holdings.exists()
