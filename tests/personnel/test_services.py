import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from personnel import models, services
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    PositionFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db

D = dt.date


def test_holding_start_defaults_term_from_position():
    position = PositionFactory(term_years=5)
    holding = services.holding_start(
        actor=None, cadre=CadreFactory(), position=position, started_on=D(2025, 10, 1)
    )
    assert holding.term_ends_on == D(2030, 10, 1)


def test_seats_are_enforced_with_a_clear_error():
    position = PositionFactory(seats=2)
    for _ in range(2):
        services.holding_start(
            actor=None, cadre=CadreFactory(), position=position, started_on=D(2024, 1, 1)
        )
    with pytest.raises(ValidationError) as error:
        services.holding_start(
            actor=None, cadre=CadreFactory(), position=position, started_on=D(2025, 1, 1)
        )
    assert error.value.messages == [str(models.SEATS_TAKEN)]
    assert models.PositionHolding.objects.filter(position=position).count() == 2


def test_seat_freed_by_ending_a_holding_can_be_taken():
    position = PositionFactory(seats=1)
    first = services.holding_start(
        actor=None, cadre=CadreFactory(), position=position, started_on=D(2020, 1, 1)
    )
    services.holding_end(actor=None, holding=first, ended_on=D(2024, 12, 31))
    second = services.holding_start(
        actor=None, cadre=CadreFactory(), position=position, started_on=D(2025, 1, 1)
    )
    assert second.pk
    # ...but not a period overlapping the first holder's.
    with pytest.raises(ValidationError):
        services.holding_start(
            actor=None, cadre=CadreFactory(), position=position, started_on=D(2024, 6, 1)
        )


def test_seat_trigger_guards_writes_that_skip_validation():
    position = PositionFactory(seats=1)
    models.PositionHolding.objects.create(
        cadre=CadreFactory(), position=position, started_on=D(2024, 1, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        models.PositionHolding.objects.create(
            cadre=CadreFactory(), position=position, started_on=D(2025, 1, 1)
        )


def test_sequential_holders_fit_one_seat_in_the_database():
    position = PositionFactory(seats=1)
    models.PositionHolding.objects.create(
        cadre=CadreFactory(), position=position, started_on=D(2015, 1, 1), ended_on=D(2019, 12, 31)
    )
    models.PositionHolding.objects.create(
        cadre=CadreFactory(), position=position, started_on=D(2020, 1, 1), ended_on=D(2024, 12, 31)
    )
    # A new holding from 2019 overlaps both but never runs beside two at once: still refused,
    # because in 2019 the first holder is in the seat.
    with pytest.raises(IntegrityError), transaction.atomic():
        models.PositionHolding.objects.create(
            cadre=CadreFactory(), position=position, started_on=D(2019, 6, 1)
        )
    models.PositionHolding.objects.create(
        cadre=CadreFactory(), position=position, started_on=D(2025, 1, 1)
    )


def test_holding_dates_must_be_in_order():
    holding = services.holding_start(
        actor=None, cadre=CadreFactory(), position=PositionFactory(), started_on=D(2025, 1, 1)
    )
    with pytest.raises(ValidationError):
        services.holding_end(actor=None, holding=holding, ended_on=D(2024, 1, 1))
    holding.refresh_from_db()
    assert holding.ended_on is None


def test_holding_cannot_end_twice():
    holding = services.holding_start(
        actor=None, cadre=CadreFactory(), position=PositionFactory(), started_on=D(2025, 1, 1)
    )
    services.holding_end(actor=None, holding=holding, ended_on=D(2025, 6, 1))
    with pytest.raises(ValidationError):
        services.holding_end(actor=None, holding=holding, ended_on=D(2025, 7, 1))


def test_one_membership_per_person_per_committee_at_a_time():
    committee = CommitteeFactory()
    user = member_of(committee)
    with pytest.raises(ValidationError):
        member_of(committee, user=user, started_on=D(2026, 1, 1))
    assert models.CommitteeMembership.objects.filter(user=user).count() == 1


def test_one_chair_at_a_time():
    committee = CommitteeFactory()
    member_of(committee, role=models.MembershipRole.CHAIR)
    with pytest.raises(ValidationError):
        member_of(committee, role=models.MembershipRole.CHAIR)


def test_membership_grants_and_ending_revokes_scope(district_a):
    committee = CommitteeFactory(unit=district_a)
    user = member_of(committee, role=models.MembershipRole.CHAIR)
    user = type(user).objects.get(pk=user.pk)  # guardian caches permissions per instance
    assert user.has_perm("personnel.access_unit", district_a)
    assert user.has_perm("personnel.view_committee", committee)
    assert user.has_perm("personnel.chair_committee", committee)
    assert not user.has_perm("personnel.access_unit")  # never a global grant

    membership = models.CommitteeMembership.objects.get(user=user)
    services.membership_end(actor=None, membership=membership, ended_on=D(2025, 10, 2))
    user = type(user).objects.get(pk=user.pk)
    assert not user.has_perm("personnel.access_unit", district_a)
    assert not user.has_perm("personnel.chair_committee", committee)


def test_scope_kept_while_another_membership_backs_it(district_a):
    standing = CommitteeFactory(unit=district_a)
    board = CommitteeFactory(unit=district_a, kind=models.CommitteeKind.ORGANISATION_BOARD)
    user = member_of(standing)
    member_of(board, user=user)
    services.membership_end(
        actor=None,
        membership=models.CommitteeMembership.objects.get(user=user, committee=standing),
        ended_on=D(2025, 10, 2),
    )
    user = type(user).objects.get(pk=user.pk)
    assert user.has_perm("personnel.access_unit", district_a)
    assert not user.has_perm("personnel.view_committee", standing)


def test_cadre_constraints_give_clear_errors():
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as error:
        services.cadre_create(
            actor=None,
            full_name="Trần Thị B",
            date_of_birth=D(1985, 1, 1),
            gender="F",
            education_level=models.EducationLevel.BACHELOR,
            party_admission_date=D(1980, 1, 1),
            unit=CadreFactory().unit,
        )
    assert error.value.messages == ["Party admission must come after the date of birth."]


def test_cadre_update_changes_only_given_fields():
    cadre = CadreFactory(home_town="Hồng Ngự")
    services.cadre_update(actor=None, cadre=cadre, full_name="Lê Văn C")
    cadre.refresh_from_db()
    assert (cadre.full_name, cadre.home_town) == ("Lê Văn C", "Hồng Ngự")


def test_evaluation_score_bounds_and_uniqueness():
    cadre = CadreFactory()
    services.evaluation_result_add(
        actor=None, cadre=cadre, year=2024, level=models.EvaluationLevel.GOOD, score=85
    )
    with pytest.raises(ValidationError):
        services.evaluation_result_add(
            actor=None, cadre=cadre, year=2024, level=models.EvaluationLevel.GOOD, score=80
        )
    with pytest.raises(ValidationError):
        services.evaluation_result_add(
            actor=None, cadre=cadre, year=2025, level=models.EvaluationLevel.GOOD, score=101
        )
    with pytest.raises(ValidationError):
        services.evaluation_result_add(
            actor=None, cadre=cadre, year=2025, level=models.EvaluationLevel.GOOD, quarter=2
        )
    assert cadre.evaluations.count() == 1


def test_investigation_open_and_close():
    cadre = CadreFactory()
    case = services.investigation_open(
        actor=None,
        cadre=cadre,
        kind=models.InvestigationKind.DISCIPLINARY_REVIEW,
        opened_on=D(2025, 3, 1),
    )
    assert case.is_open
    with pytest.raises(ValidationError):
        services.investigation_close(actor=None, case=case, closed_on=D(2025, 1, 1))
    services.investigation_close(actor=None, case=case, closed_on=D(2025, 4, 1))
    case.refresh_from_db()
    assert not case.is_open


def test_planning_term_in_order():
    with pytest.raises(ValidationError):
        services.planning_entry_add(
            actor=None,
            cadre=CadreFactory(),
            position=PositionFactory(),
            term_start_year=2030,
            term_end_year=2025,
        )


def test_training_dates_in_order():
    with pytest.raises(ValidationError):
        services.training_record_add(
            actor=None,
            cadre=CadreFactory(),
            kind=models.TrainingKind.POLITICAL_THEORY,
            title="Cao cấp lý luận chính trị",
            started_on=D(2024, 1, 1),
            ended_on=D(2023, 1, 1),
        )


def test_user_factory_sanity():
    assert UserFactory().check_password("correct-horse-battery")


def test_membership_end_before_start_is_a_form_error_not_a_crash():
    committee = CommitteeFactory()
    user = member_of(committee, started_on=D(2025, 10, 1))
    membership = models.CommitteeMembership.objects.get(user=user)
    with pytest.raises(ValidationError) as error:
        services.membership_end(actor=None, membership=membership, ended_on=D(2025, 1, 1))
    assert "ended_on" in error.value.message_dict
