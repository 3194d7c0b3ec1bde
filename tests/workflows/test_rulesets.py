"""Rule-sets: complete, valid, cited, versioned, and read-only (in PostgreSQL too) once in use."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import translation

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from tests.workflows import ballot_kit as kit
from workflows.core import rules, services
from workflows.core.errors import Conflict
from workflows.core.models import ParameterKey, RuleParameter, RuleSet

pytestmark = pytest.mark.django_db

SHIPPED = ["qd80-2022", "qd377-2025", "nd170-2025"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def in_use(district_a):
    """qd377 v1 after a meeting was called under it (the service marks it in use)."""
    staff = kit.board_staff(district_a)
    body = kit.body_with_members(district_a, 3)
    kit.call_meeting(actor=staff, unit=district_a, body=body.committee, chair=body.chair)
    ruleset = kit.ruleset("qd377-2025")
    assert ruleset.in_use
    return ruleset


def _events(action, ruleset):
    return list(AuditEvent.objects.filter(action=action, target_id=str(ruleset.pk)).order_by("seq"))


# --------------------------------------------------------------------------- the shipped ones


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_rule_set_has_every_parameter_and_each_is_valid(code):
    ruleset = kit.ruleset(code)
    parameters = {p.key: p for p in ruleset.parameters.all()}
    assert set(parameters) == set(ParameterKey.values)
    for key, parameter in parameters.items():
        rules.validate(key, parameter.value)
        assert parameter.citation.strip(), f"{code}: {key} has no source"
    assert ruleset.citation.strip() and ruleset.title.strip()
    assert not ruleset.in_use


@pytest.mark.parametrize("code", SHIPPED)
def test_shipped_rule_sets_follow_the_verified_rules(code):
    """M1 / I-1 quorum 2/3; I-2 summoned for nominations and collective total for the
    collective's vote; I-3 the head decides a tie; I-4 top two forward; I-5 sealed steps."""
    ruleset = kit.ruleset(code)
    assert rules.fraction(ruleset, ParameterKey.QUORUM) == (2, 3)
    assert rules.get(ruleset, ParameterKey.NOMINATION_DENOMINATOR) == "summoned"
    assert rules.get(ruleset, ParameterKey.APPROVAL_DENOMINATOR) == "collective_total"
    assert rules.get(ruleset, ParameterKey.TIE_RULE) == "head_decides"
    assert rules.get(ruleset, ParameterKey.CARRY_FORWARD) == 2
    assert {"expanded_collective", "key_officials"} <= set(
        rules.get(ruleset, ParameterKey.SEALED_MEETINGS)
    )
    bars = rules.get(ruleset, ParameterKey.CONFIDENCE_LOW_BARS)
    assert bars == {
        "not_considered": {"numerator": 1, "denominator": 2},
        "dismissal": {"numerator": 2, "denominator": 3},
    }


def test_qd80_and_qd377_differ_where_the_regulations_differ():
    """G6 vs G6' (I-9) cooling-off; I-15 re-appointment notice in days vs working days."""
    qd80, qd377 = kit.ruleset("qd80-2022"), kit.ruleset("qd377-2025")
    assert rules.get(qd80, ParameterKey.DISCIPLINE_COOLING_OFF) == {
        "reprimand": 12,
        "warning": 30,
        "removal": 60,
    }
    assert rules.get(qd377, ParameterKey.DISCIPLINE_COOLING_OFF) == {
        "reprimand": 24,
        "warning": 36,
        "removal": 60,
    }
    assert rules.get(qd80, ParameterKey.REAPPOINTMENT_NOTICE) == {"days": 90, "working_days": False}
    assert rules.get(qd377, ParameterKey.REAPPOINTMENT_NOTICE) == {"days": 90, "working_days": True}
    assert qd80.track == qd377.track == "party"
    assert kit.ruleset("nd170-2025").track == "state"


def test_unverified_wording_is_flagged():
    """The Party appointment denominator could not be read (§2.2): flagged, not asserted."""
    for code in ("qd80-2022", "qd377-2025"):
        parameter = kit.ruleset(code).parameters.get(key=ParameterKey.NOMINATION_DENOMINATOR)
        assert parameter.unverified
    state = kit.ruleset("nd170-2025").parameters.get(key=ParameterKey.NOMINATION_DENOMINATOR)
    assert not state.unverified


# --------------------------------------------------------------------------- value shapes


@pytest.mark.parametrize(
    ("key", "value"),
    [
        pytest.param("quorum", {"numerator": 3, "denominator": 2}, id="quorum-above-one"),
        pytest.param("quorum", {"numerator": 0, "denominator": 3}, id="quorum-zero"),
        pytest.param("quorum", {"numerator": 2}, id="quorum-half-a-fraction"),
        pytest.param("quorum", {"numerator": True, "denominator": True}, id="quorum-booleans"),
        pytest.param("quorum", 0.66, id="quorum-a-float"),
        pytest.param("nomination_denominator", "present", id="denominator-present"),
        pytest.param("approval_denominator", "", id="denominator-empty"),
        pytest.param("tie_rule", "toss_a_coin", id="tie-rule-unknown"),
        pytest.param("carry_forward", 0, id="carry-forward-zero"),
        pytest.param("carry_forward", True, id="carry-forward-boolean"),
        pytest.param("sealed_meetings", ["party_congress"], id="sealed-unknown-meeting"),
        pytest.param("sealed_meetings", "key_officials", id="sealed-not-a-list"),
        pytest.param("sealed_meetings", [["key_officials"]], id="sealed-nested-list"),
        pytest.param(
            "confidence_low_bars",
            {"not_considered": {"numerator": 1, "denominator": 2}},
            id="bars-missing-one",
        ),
        pytest.param(
            "discipline_cooling_off_months",
            {"reprimand": 24, "warning": 36},
            id="cooling-off-missing-removal",
        ),
        pytest.param(
            "discipline_cooling_off_months",
            {"reprimand": 24, "warning": 36, "removal": -1},
            id="cooling-off-negative",
        ),
        pytest.param("reappointment_notice", {"days": 90}, id="notice-without-unit"),
        pytest.param(
            "reappointment_notice", {"days": 90, "working_days": "yes"}, id="notice-unit-text"
        ),
        pytest.param("excellent_quota_percent_of_good", 101, id="quota-above-100"),
        pytest.param("full_term_years", "5", id="years-as-text"),
        pytest.param("no_such_parameter", 1, id="unknown-key"),
    ],
)
def test_validate_refuses_malformed_values(key, value):
    with pytest.raises(ValidationError):
        rules.validate(key, value)


def test_missing_parameter_is_named():
    ruleset = services.ruleset_new_version(actor=None, base=kit.ruleset("qd377-2025"))
    RuleParameter.objects.filter(ruleset=ruleset, key=ParameterKey.QUORUM).delete()
    fresh = RuleSet.objects.get(pk=ruleset.pk)
    with pytest.raises(ValidationError, match="no value for"):
        rules.get(fresh, ParameterKey.QUORUM)


# --------------------------------------------------------------------------- read-only in use


def test_meeting_marks_its_rule_set_in_use(in_use):
    assert kit.ruleset("qd80-2022").in_use is False
    assert kit.ruleset("nd170-2025").in_use is False


def test_service_refuses_to_change_a_rule_set_in_use(in_use, district_a):
    staff = kit.board_staff(district_a)
    with pytest.raises(Conflict, match="in use"):
        services.ruleset_parameter_set(
            actor=staff,
            ruleset=in_use,
            key=ParameterKey.CARRY_FORWARD,
            value=3,
            citation="thử",
        )
    assert rules.get(kit.ruleset("qd377-2025"), ParameterKey.CARRY_FORWARD) == 2
    assert _events(Action.RULESET_PARAMETER_SET, in_use) == []


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(
            "UPDATE core_ruleparameter SET value = '3' WHERE ruleset_id = %(id)s "
            "AND key = 'carry_forward'",
            id="update-parameter",
        ),
        pytest.param(
            "UPDATE core_ruleparameter SET citation = 'x' WHERE ruleset_id = %(id)s",
            id="update-citation-of-parameters",
        ),
        pytest.param("DELETE FROM core_ruleparameter WHERE ruleset_id = %(id)s", id="delete"),
        pytest.param(
            "INSERT INTO core_ruleparameter (ruleset_id, key, value, citation, unverified, note) "
            "VALUES (%(id)s, 'extra', '1', 'x', false, '')",
            id="insert",
        ),
        pytest.param(
            "UPDATE core_ruleset SET citation = 'sửa' WHERE id = %(id)s", id="ruleset-citation"
        ),
        pytest.param(
            "UPDATE core_ruleset SET effective_from = '2020-01-01' WHERE id = %(id)s",
            id="ruleset-effective-from",
        ),
        pytest.param(
            "UPDATE core_ruleset SET in_use = false WHERE id = %(id)s", id="ruleset-back-to-draft"
        ),
        pytest.param("DELETE FROM core_ruleset WHERE id = %(id)s", id="delete-ruleset"),
    ],
)
def test_postgres_refuses_raw_changes_to_a_rule_set_in_use(in_use, sql):
    before = dict(RuleParameter.objects.filter(ruleset=in_use).values_list("key", "value"))
    with (
        pytest.raises(DatabaseError, match="in use"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, {"id": in_use.pk})
    after = dict(RuleParameter.objects.filter(ruleset=in_use).values_list("key", "value"))
    assert after == before
    assert RuleSet.objects.get(pk=in_use.pk).citation == in_use.citation


def test_postgres_allows_changes_before_use():
    ruleset = kit.ruleset("qd80-2022")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_ruleparameter SET value = '3' WHERE ruleset_id = %s "
            "AND key = 'carry_forward'",
            [ruleset.pk],
        )
        cursor.execute("UPDATE core_ruleset SET citation = 'sửa' WHERE id = %s", [ruleset.pk])
    assert rules.get(kit.ruleset("qd80-2022"), ParameterKey.CARRY_FORWARD) == 3


# --------------------------------------------------------------------------- new versions


def test_new_version_copies_parameters_and_is_editable(in_use, district_a):
    staff = kit.board_staff(district_a)
    new = services.ruleset_new_version(actor=staff, base=in_use, title="QĐ 377 (sửa đổi)")
    assert (new.code, new.version, new.title) == ("qd377-2025", 2, "QĐ 377 (sửa đổi)")
    assert (new.track, new.citation, new.effective_from) == (
        in_use.track,
        in_use.citation,
        in_use.effective_from,
    )
    assert not new.in_use

    def rows(ruleset):
        return sorted(
            RuleParameter.objects.filter(ruleset=ruleset).values_list(
                "key", "value", "citation", "unverified", "note"
            )
        )

    assert rows(new) == rows(in_use)

    parameter = services.ruleset_parameter_set(
        actor=staff,
        ruleset=new,
        key=ParameterKey.CARRY_FORWARD,
        value=3,
        citation="QĐ 377 Điều 21 (giả định)",
        unverified=True,
    )
    assert (parameter.value, parameter.unverified) == (3, True)
    assert rules.get(RuleSet.objects.get(pk=new.pk), ParameterKey.CARRY_FORWARD) == 3
    assert rules.get(kit.ruleset("qd377-2025"), ParameterKey.CARRY_FORWARD) == 2

    [created] = _events(Action.RULESET_CREATE, new)
    assert created.actor == staff
    assert created.changes == {"based_on": [None, in_use.pk], "version": [None, 2]}
    [changed] = _events(Action.RULESET_PARAMETER_SET, new)
    assert changed.actor == staff
    assert changed.changes == {"carry_forward": [2, 3]}
    assert changed.reason == "QĐ 377 Điều 21 (giả định)"


def test_versions_count_up_from_the_latest():
    base = kit.ruleset("nd170-2025")
    v2 = services.ruleset_new_version(actor=None, base=base)
    v3 = services.ruleset_new_version(actor=None, base=base)
    assert (v2.version, v3.version) == (2, 3)
    assert v3.title == base.title


def test_parameter_set_refuses_a_malformed_value_without_auditing(district_a):
    new = services.ruleset_new_version(actor=None, base=kit.ruleset("qd80-2022"))
    with pytest.raises(ValidationError):
        services.ruleset_parameter_set(
            actor=None,
            ruleset=new,
            key=ParameterKey.QUORUM,
            value={"numerator": 3, "denominator": 2},
            citation="x",
        )
    assert rules.fraction(RuleSet.objects.get(pk=new.pk), ParameterKey.QUORUM) == (2, 3)
    assert _events(Action.RULESET_PARAMETER_SET, new) == []


def test_new_version_in_use_is_read_only_and_the_old_one_unaffected(district_a):
    staff = kit.board_staff(district_a)
    body = kit.body_with_members(district_a, 3)
    new = services.ruleset_new_version(actor=staff, base=kit.ruleset("qd80-2022"))
    meeting = kit.call_meeting(
        actor=staff, unit=district_a, body=body.committee, chair=body.chair, rules=new
    )
    assert meeting.ruleset == new
    assert RuleSet.objects.get(pk=new.pk).in_use
    assert not kit.ruleset("qd80-2022").in_use
    with pytest.raises(Conflict):
        services.ruleset_parameter_set(
            actor=staff, ruleset=new, key=ParameterKey.CARRY_FORWARD, value=3, citation="x"
        )
