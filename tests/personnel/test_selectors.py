import datetime as dt

import pytest
import time_machine

from personnel import models, selectors, services
from personnel.selectors import AgeBand, DirectoryFilters, Role
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(province, district_a, district_b):
    ward = OrgUnitFactory(name="Phường 1", code="p1", parent=district_a)
    return {
        "province": CadreFactory(full_name="Phạm Văn Tỉnh", unit=province),
        "a": CadreFactory(full_name="Nguyễn Thị Hồng", unit=district_a, gender="F"),
        "ward": CadreFactory(full_name="Đặng Văn Đức", unit=ward),
        "b": CadreFactory(full_name="Lê Văn Ngự", unit=district_b),
    }


def test_district_member_sees_own_district_and_below_only(people, district_a):
    user = member_of(CommitteeFactory(unit=district_a))
    visible = set(selectors.cadres_for_user(user=user))
    assert visible == {people["a"], people["ward"]}


def test_province_member_sees_everything_below(people, province):
    user = member_of(CommitteeFactory(unit=province))
    assert set(selectors.cadres_for_user(user=user)) == set(people.values())


def test_user_without_membership_sees_nothing_but_own_record(people):
    stranger = UserFactory()
    assert not selectors.cadres_for_user(user=stranger).exists()
    services.cadre_link_user(actor=None, cadre=people["b"], user=stranger)
    assert list(selectors.cadres_for_user(user=stranger)) == [people["b"]]
    assert selectors.user_roles(user=type(stranger).objects.get(pk=stranger.pk)) == {Role.CADRE}


def test_scope_ends_with_membership_end_date_even_before_grants_sync(people, district_a):
    user = member_of(CommitteeFactory(unit=district_a))
    models.CommitteeMembership.objects.filter(user=user).update(ended_on=dt.date(2026, 1, 31))
    with time_machine.travel(dt.datetime(2026, 1, 31, 12, tzinfo=dt.UTC)):
        assert selectors.cadres_for_user(user=user).count() == 2
    with time_machine.travel(dt.datetime(2026, 2, 2, 12, tzinfo=dt.UTC)):
        assert not selectors.cadres_for_user(user=user).exists()


def test_global_permission_grants_no_scope(people):
    from django.contrib.auth.models import Permission

    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="access_unit"))
    user = type(user).objects.get(pk=user.pk)
    assert not selectors.cadres_for_user(user=user).exists()


def test_roles_follow_memberships(province):
    board = CommitteeFactory(unit=province, kind=models.CommitteeKind.ORGANISATION_BOARD)
    inspection = CommitteeFactory(unit=province, kind=models.CommitteeKind.INSPECTION)
    standing = CommitteeFactory(unit=province)
    staff = member_of(board)
    auditor = member_of(inspection)
    chair = member_of(standing, role=models.MembershipRole.CHAIR)
    assert selectors.user_roles(user=staff) == {Role.ORG_BOARD_STAFF}
    assert selectors.user_roles(user=auditor) == {Role.INSPECTION_AUDITOR}
    assert selectors.user_roles(user=chair) == {Role.COMMITTEE_MEMBER, Role.COMMITTEE_CHAIR}


def test_directory_search_ignores_diacritics(people, province):
    user = member_of(CommitteeFactory(unit=province))
    found = selectors.cadre_directory(user=user, filters=DirectoryFilters(query="dang van duc"))
    assert list(found) == [people["ward"]]
    found = selectors.cadre_directory(user=user, filters=DirectoryFilters(query="Hồng"))
    assert list(found) == [people["a"]]


def test_directory_filters(people, province, district_a):
    user = member_of(CommitteeFactory(unit=province))
    by_unit = selectors.cadre_directory(user=user, filters=DirectoryFilters(unit=district_a))
    assert set(by_unit) == {people["a"], people["ward"]}
    by_gender = selectors.cadre_directory(user=user, filters=DirectoryFilters(gender="F"))
    assert list(by_gender) == [people["a"]]
    position = PositionFactory(unit=district_a)
    services.holding_start(
        actor=None, cadre=people["a"], position=position, started_on=dt.date(2024, 1, 1)
    )
    by_position = selectors.cadre_directory(user=user, filters=DirectoryFilters(position=position))
    assert list(by_position) == [people["a"]]
    assert [h.position for h in by_position[0].current_holdings] == [position]


@time_machine.travel(dt.datetime(2026, 6, 15, 12, tzinfo=dt.UTC))
def test_age_bands_include_their_bounds(province):
    user = member_of(CommitteeFactory(unit=province))
    just_35 = CadreFactory(unit=province, date_of_birth=dt.date(1991, 6, 15))
    almost_35 = CadreFactory(unit=province, date_of_birth=dt.date(1991, 6, 16))
    aged_55 = CadreFactory(unit=province, date_of_birth=dt.date(1971, 6, 15))

    def band(value):
        return set(selectors.cadre_directory(user=user, filters=DirectoryFilters(age_band=value)))

    assert band(AgeBand.UNDER_35) == {almost_35}
    assert band(AgeBand.FROM_35_TO_44) == {just_35}
    assert band(AgeBand.FROM_55) == {aged_55}
