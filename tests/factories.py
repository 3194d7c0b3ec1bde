"""factory_boy factories. Records that have services are still built here for speed; tests of the
services themselves call the services."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from personnel import models, services

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct-horse-battery")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    """Creates a root unit, or a child with ``parent=...``."""

    class Meta:
        model = models.OrgUnit

    name = factory.Sequence(lambda n: f"Đơn vị {n}")
    code = factory.Sequence(lambda n: f"unit-{n}")
    kind = models.UnitKind.DISTRICT_PARTY
    management_level = models.ManagementLevel.DISTRICT

    @classmethod
    def _create(cls, model_class, *args, parent=None, **kwargs):
        instance = model_class(**kwargs)
        if parent is None:
            return model_class.objects.add_root(instance=instance)
        return model_class.objects.add_child(
            model_class.objects.get(pk=parent.pk), instance=instance
        )


class CommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Committee

    name = factory.Sequence(lambda n: f"Ban Thường vụ {n}")
    kind = models.CommitteeKind.STANDING
    unit = factory.SubFactory(OrgUnitFactory)
    term_start = dt.date(2025, 10, 1)
    term_end = dt.date(2030, 9, 30)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Position

    title = factory.Sequence(lambda n: f"Chức danh {n}")
    unit = factory.SubFactory(OrgUnitFactory)
    level = models.PositionLevel.DISTRICT_OFFICE_HEAD
    seats = 1


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Cadre

    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    date_of_birth = dt.date(1980, 5, 17)
    gender = models.Gender.MALE
    ethnicity = "Kinh"
    home_town = "Cao Lãnh"
    party_admission_date = dt.date(2005, 3, 2)
    education_level = models.EducationLevel.BACHELOR
    political_theory_level = models.PoliticalTheoryLevel.INTERMEDIATE
    state_management_level = models.StateManagementLevel.SPECIALIST
    unit = factory.SubFactory(OrgUnitFactory)


# Records the eligibility gates read (workflows/appointment/gates.py).


class PositionHoldingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PositionHolding

    cadre = factory.SubFactory(CadreFactory)
    position = factory.SubFactory(PositionFactory)
    started_on = dt.date(2020, 1, 1)


class PlanningEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PlanningEntry

    cadre = factory.SubFactory(CadreFactory)
    position = factory.SubFactory(PositionFactory)
    term_start_year = 2025
    term_end_year = factory.LazyAttribute(lambda e: e.term_start_year + 5)
    status = models.PlanningStatus.APPROVED


class DisciplineRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DisciplineRecord

    cadre = factory.SubFactory(CadreFactory)
    kind = models.DisciplineKind.REPRIMAND
    effective_on = dt.date(2024, 1, 1)


class InvestigationCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.InvestigationCase

    cadre = factory.SubFactory(CadreFactory)
    kind = models.InvestigationKind.DISCIPLINARY_REVIEW
    opened_on = dt.date(2025, 1, 1)


class PoliticalStandardConclusionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PoliticalStandardConclusion

    cadre = factory.SubFactory(CadreFactory)
    concluded_on = dt.date(2025, 12, 1)
    outcome = models.PoliticalStandardOutcome.MEETS


def member_of(committee, *, role=models.MembershipRole.MEMBER, user=None, started_on=None):
    """A user with an active membership (and the scope grants it brings), via the service."""
    user = user or UserFactory()
    services.membership_add(
        actor=None,
        committee=committee,
        user=user,
        role=role,
        started_on=started_on or dt.date(2025, 10, 1),
    )
    return user
