import datetime as dt

import pytest
from django.urls import reverse

from personnel import models, services
from tests.factories import CadreFactory, CommitteeFactory, PositionFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_a(district_a):
    committee = CommitteeFactory(unit=district_a, name="Ban Thường vụ Thành ủy Cao Lãnh")
    return member_of(committee)


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("personnel:cadres:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_directory_lists_only_cadres_in_scope(client, member_a, district_a, district_b):
    mine = CadreFactory(full_name="Nguyễn Thị Mai", unit=district_a)
    CadreFactory(full_name="Trần Văn Khác", unit=district_b)
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert mine.full_name in body
    assert "Trần Văn Khác" not in body


def test_directory_search_and_filters(client, member_a, district_a):
    CadreFactory(full_name="Nguyễn Thị Mai", unit=district_a, gender="F")
    CadreFactory(full_name="Lê Văn Hùng", unit=district_a)
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"), {"q": "nguyen thi", "gender": "F"})
    body = response.content.decode()
    assert "Nguyễn Thị Mai" in body and "Lê Văn Hùng" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"unit": "999999"},
        {"unit": "abc"},
        {"gender": "X"},
        {"age_band": "200+"},
        {"political_theory_level": "banana"},
        {"education_level": "-1"},
        {"q": "x" * 500},
    ],
)
def test_directory_bad_filters_get_a_form_error(client, member_a, params):
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"), params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_directory_unit_out_of_scope_is_rejected(client, member_a, district_b):
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"), {"unit": district_b.pk})
    assert response.status_code == 400


@pytest.mark.parametrize("page", ["0", "-3", "abc", "99999", "1.5"])
def test_directory_bad_page_numbers_never_fail(client, member_a, district_a, page):
    CadreFactory(unit=district_a)
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"), {"page": page})
    assert response.status_code == 200


def test_profile_shows_every_record(client, member_a, district_a):
    cadre = CadreFactory(
        full_name="Võ Thị Lan", unit=district_a, gender="F", date_of_birth=dt.date(1975, 5, 3)
    )
    position = PositionFactory(unit=district_a, title="Trưởng phòng Nội vụ")
    services.holding_start(
        actor=None, cadre=cadre, position=position, started_on=dt.date(2023, 1, 1)
    )
    services.evaluation_result_add(
        actor=None, cadre=cadre, year=2024, level=models.EvaluationLevel.EXCELLENT, score=93
    )
    services.planning_entry_add(
        actor=None,
        cadre=cadre,
        position=PositionFactory(unit=district_a, title="Phó Chủ tịch UBND"),
        term_start_year=2025,
        term_end_year=2030,
    )
    services.training_record_add(
        actor=None,
        cadre=cadre,
        kind=models.TrainingKind.POLITICAL_THEORY,
        title="Cao cấp lý luận chính trị",
        started_on=dt.date(2020, 1, 1),
    )
    services.political_conclusion_add(
        actor=None,
        cadre=cadre,
        concluded_on=dt.date(2025, 2, 1),
        outcome=models.PoliticalStandardOutcome.MEETS,
    )
    services.discipline_record_add(
        actor=None,
        cadre=cadre,
        kind=models.DisciplineKind.REPRIMAND,
        effective_on=dt.date(2021, 3, 1),
        decision_ref="QĐ 12-QĐ/UBKT",
    )
    services.investigation_open(
        actor=None,
        cadre=cadre,
        kind=models.InvestigationKind.INSPECTION,
        opened_on=dt.date(2025, 9, 1),
    )
    client.force_login(member_a)
    response = client.get(
        reverse("personnel:cadres:detail", args=[cadre.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Võ Thị Lan",
        "Trưởng phòng Nội vụ",
        "Phó Chủ tịch UBND",
        "Cao cấp lý luận chính trị",
        "QĐ 12-QĐ/UBKT",
        "93",
        "2025–2030",
    ]:
        assert text in body, text
    assert "31/05/2035" in body or "05/31/2035" in body  # retirement date, women born 5/1975


def test_profile_out_of_scope_is_404(client, member_a, district_b):
    other = CadreFactory(unit=district_b)
    client.force_login(member_a)
    assert client.get(reverse("personnel:cadres:detail", args=[other.pk])).status_code == 404
    assert client.get(reverse("personnel:cadres:detail", args=[987654])).status_code == 404


def test_cadre_sees_own_profile_only(client, district_a):
    user = UserFactory()
    me = CadreFactory(unit=district_a, user=user)
    colleague = CadreFactory(unit=district_a)
    client.force_login(user)
    assert client.get(reverse("home")).url == reverse("personnel:cadres:detail", args=[me.pk])
    assert client.get(reverse("personnel:cadres:detail", args=[me.pk])).status_code == 200
    assert client.get(reverse("personnel:cadres:detail", args=[colleague.pk])).status_code == 404


def test_committee_pages(client, member_a, district_a, district_b):
    committee = models.Committee.objects.get(unit=district_a)
    other = CommitteeFactory(unit=district_b, name="Ban Thường vụ Huyện ủy Hồng Ngự")
    client.force_login(member_a)
    listing = client.get(reverse("personnel:committees:index")).content.decode()
    assert committee.name in listing and other.name not in listing
    detail = client.get(reverse("personnel:committees:detail", args=[committee.pk]))
    assert detail.status_code == 200
    assert member_a.get_full_name() in detail.content.decode()
    assert client.get(reverse("personnel:committees:detail", args=[other.pk])).status_code == 404


def test_vietnamese_is_the_default_and_english_switchable(client, member_a):
    client.force_login(member_a)
    page = client.get(reverse("personnel:cadres:index")).content.decode()
    assert 'lang="vi"' in page
    assert "Danh bạ cán bộ" in page
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "/personnel/cadres/"}
    )
    assert response.status_code == 302
    page = client.get(reverse("personnel:cadres:index")).content.decode()
    assert 'lang="en"' in page and "Personnel directory" in page


def test_error_pages_are_translated_templates(client, member_a):
    client.force_login(member_a)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_healthz_is_public(client):
    assert client.get("/healthz").content == b"ok"


def test_idle_session_is_logged_out(client, member_a, settings):
    import time_machine

    client.force_login(member_a)
    url = reverse("personnel:cadres:index")
    with time_machine.travel(0, tick=False) as traveller:
        traveller.move_to(dt.datetime(2026, 1, 1, 8, tzinfo=dt.UTC))
        assert client.get(url).status_code == 200
        traveller.move_to(dt.datetime(2026, 1, 1, 8, 29, tzinfo=dt.UTC))
        assert client.get(url).status_code == 200
        traveller.move_to(dt.datetime(2026, 1, 1, 9, 10, tzinfo=dt.UTC))
        assert client.get(url).status_code == 302
