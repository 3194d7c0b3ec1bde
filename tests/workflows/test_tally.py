"""Outcomes as pure functions of counts (domain/procedures.md §2.1–2.3, invariants I-1…I-4).

Every row names the rule it pins down; the boundary rows are the point: "trên 50 %" is strict,
exactly 50 % of a collective goes to the head, 2/3 quorum rounds up, nobody above half carries
the top two forward with ties at the cut listed.
"""

import pytest

from workflows.core import tally
from workflows.core.models import Denominator
from workflows.core.tally import Counts

# --------------------------------------------------------------------------- quorum (M1, I-1)


@pytest.mark.parametrize(
    ("summoned", "present", "met"),
    [
        pytest.param(7, 5, True, id="7-summoned-5-present-ok"),
        pytest.param(7, 4, False, id="7-summoned-4-present-short"),
        pytest.param(9, 6, True, id="9-summoned-6-present-exactly-two-thirds"),
        pytest.param(9, 5, False, id="9-summoned-5-present-short"),
        pytest.param(10, 7, True, id="10-summoned-7-present-ok"),
        pytest.param(10, 6, False, id="10-summoned-6-present-short"),
        pytest.param(11, 8, True, id="11-summoned-8-present-ok"),
        pytest.param(11, 7, False, id="11-summoned-7-present-short"),
        pytest.param(12, 8, True, id="12-summoned-8-present-exactly-two-thirds"),
        pytest.param(13, 9, True, id="13-summoned-9-present-ok"),
        pytest.param(13, 8, False, id="13-summoned-8-present-short"),
        pytest.param(3, 2, True, id="3-summoned-2-present-ok"),
        pytest.param(3, 1, False, id="3-summoned-1-present-short"),
        pytest.param(25, 17, True, id="25-summoned-17-present-ok"),
        pytest.param(25, 16, False, id="25-summoned-16-present-short"),
        pytest.param(5, 5, True, id="everyone-present"),
        pytest.param(0, 0, False, id="nobody-summoned-is-never-a-quorum"),
    ],
)
def test_quorum_two_thirds_of_summoned(summoned, present, met):
    assert tally.quorum_met(summoned=summoned, present=present) is met
    # The needed count and the test agree at the boundary.
    if summoned:
        needed = tally.quorum_needed(summoned=summoned)
        assert tally.quorum_met(summoned=summoned, present=needed)
        assert not tally.quorum_met(summoned=summoned, present=needed - 1)


@pytest.mark.parametrize(
    ("summoned", "fraction", "needed"),
    [
        pytest.param(7, (2, 3), 5, id="7-needs-5"),
        pytest.param(9, (2, 3), 6, id="9-needs-6"),
        pytest.param(10, (2, 3), 7, id="10-needs-7"),
        pytest.param(11, (2, 3), 8, id="11-needs-8"),
        pytest.param(12, (2, 3), 8, id="12-needs-8"),
        pytest.param(13, (2, 3), 9, id="13-needs-9"),
        pytest.param(1, (2, 3), 1, id="1-needs-1"),
        pytest.param(0, (2, 3), 0, id="0-needs-0"),
        pytest.param(10, (1, 2), 5, id="half-of-10-is-5"),
        pytest.param(11, (1, 2), 6, id="half-of-11-rounds-up-to-6"),
        pytest.param(10, (3, 4), 8, id="three-quarters-of-10-rounds-up-to-8"),
    ],
)
def test_quorum_needed_rounds_up(summoned, fraction, needed):
    numerator, denominator = fraction
    assert (
        tally.quorum_needed(summoned=summoned, numerator=numerator, denominator=denominator)
        == needed
    )


# --------------------------------------------------------------------------- "trên 50 %" (I-2)


@pytest.mark.parametrize(
    ("votes", "denominator", "passes"),
    [
        pytest.param(6, 11, True, id="6-of-11-passes"),
        pytest.param(5, 11, False, id="5-of-11-fails"),
        pytest.param(5, 10, False, id="5-of-10-exactly-half-fails"),
        pytest.param(6, 10, True, id="6-of-10-passes"),
        pytest.param(6, 12, False, id="6-of-12-exactly-half-fails"),
        pytest.param(7, 12, True, id="7-of-12-passes"),
        pytest.param(1, 1, True, id="1-of-1-passes"),
        pytest.param(1, 2, False, id="1-of-2-exactly-half-fails"),
        pytest.param(0, 0, False, id="nothing-of-nothing-fails"),
    ],
)
def test_more_than_half_is_strict(votes, denominator, passes):
    assert tally.more_than_half(votes, denominator) is passes


# --------------------------------------------------------------------------- collective (I-3)


@pytest.mark.parametrize(
    ("approve", "denominator", "result"),
    [
        pytest.param(6, 11, "approved", id="6-of-11-approved"),
        pytest.param(5, 11, "rejected", id="5-of-11-rejected"),
        pytest.param(5, 10, "tied", id="5-of-10-tied-head-decides"),
        pytest.param(6, 12, "tied", id="6-of-12-tied-head-decides"),
        pytest.param(7, 12, "approved", id="7-of-12-approved"),
        pytest.param(5, 12, "rejected", id="5-of-12-rejected"),
        pytest.param(3, 6, "tied", id="3-of-6-tied"),
        pytest.param(4, 7, "approved", id="4-of-7-approved"),
        pytest.param(3, 7, "rejected", id="3-of-7-rejected"),
        pytest.param(0, 9, "rejected", id="no-approvals-rejected"),
        pytest.param(9, 9, "approved", id="unanimous"),
    ],
)
def test_collective_decision(approve, denominator, result):
    assert tally.collective_decision(approve, denominator=denominator) == result


def test_collective_decision_without_a_denominator_is_an_error():
    with pytest.raises(ValueError, match="no denominator"):
        tally.collective_decision(0, denominator=0)


# --------------------------------------------------------------------------- denominators (§2.2)

COUNTS = Counts(summoned=13, present=10, excluded=2, collective_total=12, valid=10)


@pytest.mark.parametrize(
    ("rule", "value"),
    [
        pytest.param(Denominator.SUMMONED, 13, id="summoned"),
        pytest.param(Denominator.SUMMONED_MINUS_EXCLUSIONS, 11, id="summoned-minus-exclusions"),
        pytest.param(Denominator.COLLECTIVE_TOTAL, 12, id="collective-total"),
        pytest.param(Denominator.VALID_BALLOTS, 10, id="valid-ballots"),
    ],
)
def test_denominator_value(rule, value):
    assert tally.denominator_value(rule, COUNTS) == value


def test_no_denominator_is_ever_those_present():
    """I-2: never "present" unless a rule says so — no rule does."""
    assert "present" not in Denominator.values


@pytest.mark.parametrize(
    ("rule", "counts"),
    [
        pytest.param(
            Denominator.COLLECTIVE_TOTAL, Counts(summoned=5, present=5), id="collective-unknown"
        ),
        pytest.param("present", COUNTS, id="unknown-rule"),
    ],
)
def test_denominator_that_cannot_be_computed_is_an_error(rule, counts):
    with pytest.raises(ValueError):
        tally.denominator_value(rule, counts)


# The same 6 votes for A (of 13 summoned, 2 excluded, a collective of 12, 10 valid ballots)
# pass under one denominator and fail under another.
@pytest.mark.parametrize(
    ("rule", "nominated", "decision"),
    [
        pytest.param(Denominator.SUMMONED, [], "rejected", id="summoned-13-fails"),
        pytest.param(
            Denominator.SUMMONED_MINUS_EXCLUSIONS,
            ["A"],
            "approved",
            id="minus-exclusions-11-passes",
        ),
        pytest.param(Denominator.COLLECTIVE_TOTAL, [], "tied", id="collective-12-exactly-half"),
        pytest.param(Denominator.VALID_BALLOTS, ["A"], "approved", id="valid-10-passes"),
    ],
)
def test_same_votes_under_each_denominator(rule, nominated, decision):
    denominator = tally.denominator_value(rule, COUNTS)
    outcome = tally.nomination({"A": 6, "B": 3, "C": 1}, denominator=denominator)
    assert outcome["nominated"] == nominated
    if nominated:
        assert outcome["result"] == "nominated"
    else:
        assert outcome["result"] == "carried_forward"
        assert outcome["forward"] == ["A", "B"]
    assert tally.collective_decision(6, denominator=denominator) == decision


# --------------------------------------------------------------------------- nomination (§2.3)


def _outcome(result, nominated=(), forward=(), tied=(), open_places=0):
    return {
        "result": result,
        "nominated": list(nominated),
        "forward": list(forward),
        "tied_at_cut": list(tied),
        "open_places": open_places,
    }


@pytest.mark.parametrize(
    ("votes", "denominator", "seats", "carry", "expected"),
    [
        pytest.param(
            {"A": 6, "B": 4, "C": 1},
            11,
            1,
            2,
            _outcome("nominated", nominated="A"),
            id="6-of-11-nominated",
        ),
        pytest.param(
            {"A": 5, "B": 3, "C": 2},
            10,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="5-of-10-exactly-half-carries-top-two",
        ),
        pytest.param(
            {"A": 6, "B": 5, "C": 1},
            12,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="6-of-12-exactly-half-carries-top-two",
        ),
        pytest.param(
            {"A": 4, "B": 3, "C": 2, "D": 2},
            11,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="nobody-above-half-top-two-forward",
        ),
        pytest.param(
            {"C": 2, "B": 3, "A": 5},
            11,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="top-down-whatever-the-listing-order",
        ),
        pytest.param(
            {"A": 5, "B": 3, "C": 3},
            11,
            1,
            2,
            _outcome("carried_forward", forward="A", tied="BC", open_places=1),
            id="5-3-3-tie-at-the-cut",
        ),
        pytest.param(
            {"A": 5, "B": 3, "C": 3, "D": 3},
            12,
            1,
            2,
            _outcome("carried_forward", forward="A", tied="BCD", open_places=1),
            id="5-3-3-3-three-tied-for-one-place",
        ),
        pytest.param(
            {"A": 4, "B": 4, "C": 4},
            12,
            1,
            2,
            _outcome("carried_forward", tied="ABC", open_places=2),
            id="4-4-4-all-tied",
        ),
        pytest.param(
            {"A": 5, "B": 5, "C": 1},
            11,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="5-5-1-tie-above-the-cut-both-go",
        ),
        pytest.param(
            {"A": 4, "B": 3},
            11,
            1,
            2,
            _outcome("carried_forward", forward="AB"),
            id="only-two-candidates-both-go",
        ),
        pytest.param(
            {"A": 4, "B": 0},
            11,
            1,
            2,
            _outcome("carried_forward", forward="A"),
            id="nobody-goes-forward-without-a-vote",
        ),
        pytest.param(
            {"A": 0, "B": 0},
            11,
            1,
            2,
            _outcome("none", open_places=2),
            id="zero-votes",
        ),
        pytest.param({}, 11, 1, 2, _outcome("none", open_places=2), id="no-candidates"),
        pytest.param(
            {"A": 4, "B": 3, "C": 2, "D": 1},
            11,
            1,
            3,
            _outcome("carried_forward", forward="ABC"),
            id="rule-set-carries-three",
        ),
        pytest.param(
            {"A": 4, "B": 4, "C": 1},
            11,
            1,
            1,
            _outcome("carried_forward", tied="AB", open_places=1),
            id="rule-set-carries-one-tie",
        ),
        # seats > 1: one mark per post on each paper, so several can pass.
        pytest.param(
            {"A": 7, "B": 6, "C": 4, "D": 3},
            11,
            2,
            2,
            _outcome("nominated", nominated="AB"),
            id="two-seats-both-filled",
        ),
        pytest.param(
            {"A": 8, "B": 7, "C": 6, "D": 1},
            11,
            2,
            2,
            _outcome("nominated", nominated="AB"),
            id="two-seats-third-above-half-not-nominated",
        ),
        pytest.param(
            {"A": 8, "B": 7, "C": 6, "D": 1},
            11,
            3,
            2,
            _outcome("nominated", nominated="ABC"),
            id="three-seats-filled",
        ),
        pytest.param(
            {"A": 7, "B": 5, "C": 4, "D": 3},
            11,
            2,
            2,
            _outcome("carried_forward", nominated="A", forward="BC"),
            id="two-seats-one-filled-two-forward-for-the-other",
        ),
        pytest.param(
            {"A": 9, "B": 7, "C": 7},
            11,
            2,
            2,
            _outcome("carried_forward", nominated="A", tied="BC", open_places=1),
            id="two-seats-tie-above-half-for-the-last-post",
        ),
        pytest.param(
            {"A": 5, "B": 4, "C": 3, "D": 3, "E": 1},
            11,
            2,
            2,
            _outcome("carried_forward", forward="ABCD"),
            id="two-seats-nobody-above-half-four-forward",
        ),
        pytest.param(
            {"A": 5, "B": 4, "C": 3, "D": 2, "E": 2},
            11,
            2,
            2,
            _outcome("carried_forward", forward="ABC", tied="DE", open_places=1),
            id="two-seats-nobody-above-half-tie-at-the-cut",
        ),
    ],
)
def test_nomination(votes, denominator, seats, carry, expected):
    assert (
        tally.nomination(votes, denominator=denominator, seats=seats, carry_forward=carry)
        == expected
    )


# --------------------------------------------------------------------------- confidence (QĐ 96)

BARS = {"not_considered": (1, 2), "dismissal": (2, 3)}


@pytest.mark.parametrize(
    ("low", "valid", "result"),
    [
        pytest.param(0, 12, "retains_confidence", id="no-low-votes"),
        pytest.param(6, 12, "retains_confidence", id="exactly-half-low-is-not-above-half"),
        pytest.param(7, 12, "not_considered_for_higher_post", id="7-of-12-above-half"),
        pytest.param(8, 12, "consider_dismissal", id="8-of-12-exactly-two-thirds"),
        pytest.param(12, 12, "consider_dismissal", id="all-low"),
        pytest.param(5, 11, "retains_confidence", id="5-of-11"),
        pytest.param(6, 11, "not_considered_for_higher_post", id="6-of-11-above-half"),
        pytest.param(7, 11, "not_considered_for_higher_post", id="7-of-11-below-two-thirds"),
        pytest.param(8, 11, "consider_dismissal", id="8-of-11-above-two-thirds"),
        pytest.param(5, 9, "not_considered_for_higher_post", id="5-of-9"),
        pytest.param(6, 9, "consider_dismissal", id="6-of-9-exactly-two-thirds"),
        pytest.param(5, 10, "retains_confidence", id="5-of-10-exactly-half"),
        pytest.param(6, 10, "not_considered_for_higher_post", id="6-of-10"),
        pytest.param(7, 10, "consider_dismissal", id="7-of-10-above-two-thirds"),
        pytest.param(0, 0, "no_valid_ballots", id="no-valid-ballots"),
    ],
)
def test_confidence_bars(low, valid, result):
    assert (
        tally.confidence(
            low,
            denominator=valid,
            not_considered=BARS["not_considered"],
            dismissal=BARS["dismissal"],
        )
        == result
    )


@pytest.mark.parametrize(
    ("low", "result"),
    [
        pytest.param(12, "retains_confidence", id="exactly-three-fifths"),
        pytest.param(13, "not_considered_for_higher_post", id="above-three-fifths"),
        pytest.param(14, "not_considered_for_higher_post", id="below-three-quarters"),
        pytest.param(15, "consider_dismissal", id="exactly-three-quarters"),
    ],
)
def test_confidence_bars_come_from_the_rule_set(low, result):
    assert tally.confidence(low, denominator=20, not_considered=(3, 5), dismissal=(3, 4)) == result
