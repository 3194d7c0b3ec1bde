"""The planning structure parameter (domain §4.2 Q5): its shape, its values in the shipped
rule-sets, and the migration that adds it even to a rule-set already in use."""

import importlib

import pgtrigger
import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from tests.workflows.ballot_kit import ruleset
from workflows.core import rules
from workflows.core.models import ParameterKey, RuleParameter, RuleSet

pytestmark = pytest.mark.django_db

SHIPPED = ["qd80-2022", "qd377-2025", "nd170-2025"]


@pytest.mark.parametrize("code", SHIPPED)
def test_the_shipped_rule_sets_carry_the_qd50_targets_marked_unverified(code):
    parameter = rules.parameter(ruleset(code), ParameterKey.PLANNING_STRUCTURE)
    assert parameter.value == {
        "young_under": {"central": 45, "province": 40, "district": 40, "commune": 40},
        "young_percent": 15,
        "women_percent": 25,
    }
    assert parameter.unverified
    assert "QĐ 50" in parameter.citation


@pytest.mark.parametrize(
    "value",
    [
        {"young_under": {"central": 45}, "young_percent": 15, "women_percent": 25},
        {
            "young_under": {"central": 45, "province": 40, "district": 40, "commune": 40},
            "young_percent": 101,
            "women_percent": 25,
        },
        {"young_percent": 15, "women_percent": 25},
        15,
    ],
)
def test_a_malformed_structure_value_is_refused(value):
    with pytest.raises(ValidationError):
        rules.validate(ParameterKey.PLANNING_STRUCTURE, value)


def test_the_migration_adds_the_parameter_to_a_rule_set_in_use():
    target = ruleset("qd377-2025")
    with pgtrigger.ignore("core.RuleParameter:parameter_read_only_in_use"):
        RuleParameter.objects.filter(ruleset=target, key=ParameterKey.PLANNING_STRUCTURE).delete()
    RuleSet.objects.filter(pk=target.pk).update(in_use=True)
    migration = importlib.import_module("workflows.core.migrations.0004_planning_structure")
    migration.load(django_apps, None)
    assert RuleParameter.objects.filter(
        ruleset=target, key=ParameterKey.PLANNING_STRUCTURE
    ).exists()
