"""The directory's search and filters as made fast for issue #9: the indexed name search, the
scope of the filter choices, the choices rendered without a template per option."""

import re

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from personnel import selectors
from personnel.formfields import FastSelect
from personnel.selectors import DirectoryFilters, unaccent_text
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db

NAMES = ["Nguyễn Văn Đức", "Đặng Thị Ánh Tuyết", "Trần Quốc Vượng", "Hồ Thị Ngọc Ẩn", "Lê Ỷ"]


@pytest.fixture
def member_a(district_a):
    return member_of(CommitteeFactory(unit=district_a))


def _search(user, text):
    return list(selectors.cadre_directory(user=user, filters=DirectoryFilters(query=text)))


def test_the_database_strips_diacritics_as_python_does():
    """The index holds ``cadreflow_unaccent`` (PostgreSQL), the pattern is stripped in Python:
    the two must agree on Vietnamese, or a typed name would miss its row."""
    with connection.cursor() as cursor:
        for name in NAMES:
            cursor.execute("SELECT cadreflow_unaccent(%s)", [name])
            assert cursor.fetchone()[0] == unaccent_text(name)
        cursor.execute("SELECT provolatile FROM pg_proc WHERE proname = 'cadreflow_unaccent'")
        assert cursor.fetchone()[0] == "i"  # IMMUTABLE: an index may hold it


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nguyen van", {"Nguyễn Văn Đức"}),
        ("NGUYỄN văn", {"Nguyễn Văn Đức"}),
        ("van duc", {"Nguyễn Văn Đức"}),
        ("dang thi anh", {"Đặng Thị Ánh Tuyết"}),
        ("  tuyet ", {"Đặng Thị Ánh Tuyết"}),
        ("vuong", {"Trần Quốc Vượng"}),
        ("thi", {"Đặng Thị Ánh Tuyết", "Hồ Thị Ngọc Ẩn"}),
        ("le y", {"Lê Ỷ"}),
        ("100%", set()),
        ("_", set()),
        ("nguyen  van", set()),
    ],
)
def test_search_ignores_diacritics_and_case(district_a, member_a, typed, expected):
    for name in NAMES:
        CadreFactory(full_name=name, unit=district_a)
    assert {c.full_name for c in _search(member_a, typed)} == expected


def test_search_stays_in_scope(district_a, district_b, member_a):
    mine = CadreFactory(full_name="Nguyễn Văn An", unit=district_a)
    CadreFactory(full_name="Nguyễn Văn Bình", unit=district_b)
    assert _search(member_a, "nguyen van") == [mine]


def test_the_search_uses_the_trigram_index(district_a):
    """What the search compares is what ``cadre_plain_name_trgm`` holds (an administrator's
    search: the name is the only condition)."""
    CadreFactory(full_name="Nguyễn Văn An", unit=district_a)
    admin = UserFactory(is_superuser=True)
    found = selectors.cadre_directory(user=admin, filters=DirectoryFilters(query="nguyen van"))
    with connection.cursor() as cursor:
        # A tiny table: a bitmap scan made the only way in, the planner must find the index.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = found.explain()
    assert "Bitmap Index Scan on cadre_plain_name_trgm" in plan, plan
    assert [c.full_name for c in found] == ["Nguyễn Văn An"]


def test_the_filter_choices_are_the_scope_only(client, province, district_a, district_b):
    ward = OrgUnitFactory(name="Phường Mỹ Phú", code="my-phu", parent=district_a)
    mine = PositionFactory(title="Bí thư Đảng ủy", unit=ward)
    PositionFactory(title="Chủ tịch Hội đồng", unit=district_b)
    user = member_of(CommitteeFactory(unit=district_a))
    client.force_login(user)
    response = client.get(reverse("personnel:cadres:index"))
    page = response.content.decode()
    units = re.search(r'<select name="unit".*?</select>', page, re.S).group(0)
    positions = re.search(r'<select name="position".*?</select>', page, re.S).group(0)
    assert f'<option value="{district_a.pk}">{district_a.name}</option>' in units
    assert f'<option value="{ward.pk}">{ward.name}</option>' in units
    assert district_b.name not in units and province.name not in units
    assert f'<option value="{mine.pk}">{mine}</option>' in positions  # "title — unit"
    assert "Chủ tịch Hội đồng" not in page


def test_the_chosen_filters_stay_selected_and_filter(client, district_a, member_a):
    ward = OrgUnitFactory(name="Phường Mỹ Phú", code="my-phu", parent=district_a)
    there = CadreFactory(full_name="Nguyễn Văn Phú", unit=ward)
    CadreFactory(full_name="Nguyễn Văn Lãnh", unit=district_a)
    client.force_login(member_a)
    response = client.get(reverse("personnel:cadres:index"), {"q": "nguyen", "unit": ward.pk})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == [there]
    assert f'<option value="{ward.pk}" selected>' in response.content.decode()


def test_out_of_scope_choices_are_form_errors_never_results(client, district_b, member_a):
    CadreFactory(full_name="Nguyễn Văn Bình", unit=district_b)
    theirs = PositionFactory(unit=district_b)
    client.force_login(member_a)
    for params in ({"unit": district_b.pk}, {"position": theirs.pk}, {"position": "x"}):
        response = client.get(reverse("personnel:cadres:index"), {"q": "nguyen", **params})
        assert response.status_code == 400, params
        assert "Nguyễn Văn Bình" not in response.content.decode()


def test_queries_do_not_grow_with_units_positions_or_results(client, province):
    user = member_of(CommitteeFactory(unit=province))
    client.force_login(user)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("personnel:cadres:index"), {"q": "nguyen"}).status_code == 200
        return len(queries)

    unit = OrgUnitFactory(parent=province)
    PositionFactory(unit=unit)
    CadreFactory(full_name="Nguyễn Văn Một", unit=unit)
    count()  # the first request reads what stays cached (content types, permissions)
    few = count()
    for i in range(15):
        unit = OrgUnitFactory(parent=province)
        PositionFactory(unit=unit)
        PositionFactory(unit=unit)
        CadreFactory(full_name=f"Nguyễn Văn Số {i}", unit=unit)
    assert count() == few


# --------------------------------------------------------------------------- FastSelect


def _normalise(html: str) -> str:
    return re.sub(r">\s+<", "><", str(html).strip())


@pytest.mark.parametrize("value", [None, "", "b", "3", 3, "missing", ["a", "c"]])
@pytest.mark.parametrize("multiple", [False, True])
def test_fast_select_renders_what_django_renders(value, multiple):
    choices = [
        ("", 'Any <unit> & "all"'),
        ("a", "Ấp Mỹ"),
        ("Group", [("b", "Beta"), ("c", "Çé")]),
        (3, "Three"),
        (None, "none"),
    ]
    django_widget = forms.SelectMultiple if multiple else forms.Select
    fast_widget = type("Fast", (FastSelect,), {"allow_multiple_selected": multiple})
    attrs = {"id": "id_f", "required": True, "aria-invalid": False, "data-x": '"<'}
    expected = django_widget(choices=choices, attrs={"class": "k"}).render("f", value, attrs)
    got = fast_widget(choices=choices, attrs={"class": "k"}).render("f", value, attrs)
    assert _normalise(got) == _normalise(expected)


def test_the_next_page_keeps_the_search(client, province, monkeypatch):
    """The directory uses the shared pager (``cadreflow/_pager.html``): its links carry the
    filters, so page 2 is page 2 of the same search."""
    from personnel import views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    user = member_of(CommitteeFactory(unit=province))
    for i in range(3):
        CadreFactory(full_name=f"Nguyễn Văn Trang {i}", unit=province)
    client.force_login(user)
    page = client.get(reverse("personnel:cadres:index"), {"q": "trang"}).content.decode()
    assert 'href="?q=trang&amp;page=2" rel="next"' in page
    second = client.get(reverse("personnel:cadres:index"), {"q": "trang", "page": 2})
    assert 'href="?q=trang&amp;page=1" rel="prev"' in second.content.decode()
