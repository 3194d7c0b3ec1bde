"""Outcomes of meetings and ballots, as pure functions of counts and rule parameters.

Nothing here reads the database; every rule comes in as an argument (from the rule-set the
meeting runs under), so each can be tested against domain §2.1–2.3 case by case.

- "more than 50 %" is strict: ``2 * votes > denominator`` (I-2);
- exactly 50 % in a collective decision goes to the head, with a report of the differing
  opinions (I-3);
- nobody passing a nomination carries the top two forward, ties at the cut listed (I-4);
- quorum: present >= numerator/denominator of those summoned, i.e. ``present * d >= summoned * n``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

from .models import Denominator


@dataclass(frozen=True)
class Counts:
    summoned: int
    present: int
    excluded: int = 0
    collective_total: int | None = None
    valid: int = 0


def quorum_met(*, summoned: int, present: int, numerator: int = 2, denominator: int = 3) -> bool:
    """At least numerator/denominator of those summoned are present (M1, I-1)."""
    return summoned > 0 and present * denominator >= summoned * numerator


def quorum_needed(*, summoned: int, numerator: int = 2, denominator: int = 3) -> int:
    """The smallest attendance that meets the quorum: ⌈n/d × summoned⌉."""
    return -(-summoned * numerator // denominator)


def denominator_value(rule: str, counts: Counts) -> int:
    if rule == Denominator.SUMMONED:
        return counts.summoned
    if rule == Denominator.SUMMONED_MINUS_EXCLUSIONS:
        return counts.summoned - counts.excluded
    if rule == Denominator.COLLECTIVE_TOTAL:
        if counts.collective_total is None:
            raise ValueError("the collective's total membership is not known")
        return counts.collective_total
    if rule == Denominator.VALID_BALLOTS:
        return counts.valid
    raise ValueError(f"unknown denominator {rule!r}")


def more_than_half(votes: int, denominator: int) -> bool:
    return denominator > 0 and 2 * votes > denominator


def nomination(
    votes: Mapping[Hashable, int], *, denominator: int, seats: int = 1, carry_forward: int = 2
) -> dict:
    """Who is nominated: the highest above half, one per post; otherwise who goes forward.

    Returns ``{"result": "nominated" | "carried_forward" | "none", "nominated": [...],
    "forward": [...], "tied_at_cut": [...], "open_places": n}``. ``forward`` holds those who go
    to the next step for certain; when a tie straddles the cut, ``tied_at_cut`` lists everyone in
    the tie and ``open_places`` how many of them can go (the competent body decides).
    """
    ranked = sorted(((c, v) for c, v in votes.items() if v > 0), key=lambda cv: -cv[1])
    nominated = [c for c, v in ranked if more_than_half(v, denominator)][:seats]
    # A tie for the last post among those above half cannot be settled by the count.
    above = [(c, v) for c, v in ranked if more_than_half(v, denominator)]
    if len(above) > seats and above[seats - 1][1] == above[seats][1]:
        cut = above[seats - 1][1]
        certain = [c for c, v in above if v > cut]
        tied = [c for c, v in above if v == cut]
        return {
            "result": "carried_forward",
            "nominated": certain,
            "forward": [],
            "tied_at_cut": tied,
            "open_places": seats - len(certain),
        }
    if len(nominated) == seats:
        return {
            "result": "nominated",
            "nominated": nominated,
            "forward": [],
            "tied_at_cut": [],
            "open_places": 0,
        }
    rest = [(c, v) for c, v in ranked if c not in nominated]
    places = carry_forward * (seats - len(nominated))
    if not rest:
        return {
            "result": "none",
            "nominated": nominated,
            "forward": [],
            "tied_at_cut": [],
            "open_places": places,
        }
    forward, tied, open_places = _take_with_ties(rest, places)
    return {
        "result": "carried_forward",
        "nominated": nominated,
        "forward": forward,
        "tied_at_cut": tied,
        "open_places": open_places,
    }


def _take_with_ties(ranked: list[tuple[Hashable, int]], places: int):
    if len(ranked) <= places:
        return [c for c, _ in ranked], [], 0
    cut = ranked[places - 1][1]
    if ranked[places][1] != cut:
        return [c for c, _ in ranked[:places]], [], 0
    certain = [c for c, v in ranked if v > cut]
    tied = [c for c, v in ranked if v == cut]
    return certain, tied, places - len(certain)


def collective_decision(approve: int, *, denominator: int) -> str:
    """``approved`` above half, ``tied`` at exactly half (the head decides), else ``rejected``."""
    if denominator <= 0:
        raise ValueError("no denominator")
    if 2 * approve > denominator:
        return "approved"
    if 2 * approve == denominator:
        return "tied"
    return "rejected"


def confidence(
    low: int,
    *,
    denominator: int,
    not_considered: tuple[int, int] = (1, 2),
    dismissal: tuple[int, int] = (2, 3),
) -> str:
    """QĐ 96 bars: low confidence above ``not_considered`` (strict) → not considered for a
    higher post; at or above ``dismissal`` → to be considered for dismissal."""
    if denominator <= 0:
        return "no_valid_ballots"
    n, d = dismissal
    if low * d >= denominator * n:
        return "consider_dismissal"
    n, d = not_considered
    if low * d > denominator * n:
        return "not_considered_for_higher_post"
    return "retains_confidence"
