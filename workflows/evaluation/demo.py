"""Demo evaluation campaign (issue #7): the 2026 rating of two units of Cao Lãnh, under way.

Everything is done through the services, as the people would do it on their pages: the
province organisation board (``tochuc``) opens the campaign and appraises; each cadre with an
account files their own self-assessment (the board files the paper review for those without
one, the chair for the collective); the chair of each competent level decides — ``chutich``
for the city's standing committee and the posts the province manages, the city's Party
secretary for the others. So the campaign has its deadlines, audit events and notifications.

The units are the city Party committee of Cao Lãnh (its standing committee is the collective
evaluated) and the city's home-affairs office, where the demo cadre ``canbo`` works. The
campaign stops part-way, so that every step has something waiting for someone:

- the demo logins evaluated (``canbo``, ``caolanh``) have not filed their self-assessment:
  they can try it;
- the collective is decided (the order rules, I-22: a collective before its members, a unit
  before its head), so the members' ratings may follow;
- of the posts the province manages, some wait for ``chutich``'s decision, some are decided,
  some only self-assessed;
- of the others, some are decided, some self-assessed, some proposed, one has the
  collective's comments recorded (under appraisal), one has not started;
- one rating decided by the city's standing committee is under complaint, waiting for the
  province standing committee (``chutich``) to re-evaluate it.

Levels are "good" and "completed" only: an "excellent" needs five "good" in its peer group
(the quota, I-21), which these small groups do not have.

The campaign is keyed by its title: when it exists nothing is done, so running the seed again
creates nothing (and never undoes what people did since). Demo mode only: the command checks
``CADREFLOW_DEMO_MODE``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from personnel.demo import DEMO_USERS, ROOT_CODE
from personnel.models import (
    Committee,
    CommitteeKind,
    EvaluationLevel,
    EvaluationPeriod,
    OrgUnit,
    User,
)
from workflows.core import rules
from workflows.core.errors import Refused
from workflows.core.models import ParameterKey

from . import selectors, services
from .models import Evaluation, EvaluationCampaign, EvaluationState, Subject

BOARD, CHAIR = "tochuc", "chutich"
YEAR = 2026
TITLE = f"Đánh giá, xếp loại chất lượng năm {YEAR}"
#: the units evaluated: the city Party committee of Cao Lãnh and the office ``canbo`` works in
UNIT_CODES = ("demo-caolanh", "demo-caolanh-pnv")
STANDING = "Ban Thường vụ Tỉnh ủy"
_ADVISORY_LOCK = 0x5EED_E7A1  # serialises two runs (appointments use 0x5EED_A990)

S = EvaluationState
#: where the ratings the province standing committee decides are left, in turn
PROVINCE_PLAN = (S.PROPOSED, S.DECIDED, S.SELF_RATED)
#: where the others are left, in turn (the first decided one whose body has a committee above
#: it is then complained about)
LOCAL_PLAN = (S.DECIDED, S.SELF_RATED, S.DECIDED, S.UNDER_APPRAISAL, S.PROPOSED, S.DRAFT)
#: share of each criteria group's points a self-assessment gives, by the level it aims at
SHARE = {
    EvaluationLevel.GOOD: (Decimal("0.86"), Decimal("0.78")),
    EvaluationLevel.COMPLETED: (Decimal("0.66"),),
}

SELF_REVIEW = (
    "Chấp hành nghiêm chủ trương, đường lối của Đảng, chính sách, pháp luật của Nhà nước; giữ "
    "gìn phẩm chất đạo đức, lối sống. Hoàn thành các nhiệm vụ được giao trong năm {year}; còn "
    "hạn chế: một số việc chậm so với kế hoạch."
)
COLLECTIVE_REVIEW = (
    "Ban Thường vụ lãnh đạo, chỉ đạo hoàn thành các chỉ tiêu chủ yếu của Nghị quyết năm {year}; "
    "giữ vững đoàn kết, thống nhất; còn hạn chế trong công tác kiểm tra, giám sát."
)
COMMENTS = (
    "Tập thể cơ quan góp ý tại cuộc họp kiểm điểm: thống nhất với bản tự đánh giá; đề nghị "
    "khắc phục việc chậm tiến độ báo cáo."
)
LOWER_NOTE = "Chưa hoàn thành đúng hạn 02 nhiệm vụ được giao trong năm; đề xuất mức thấp hơn."
COMPLAINT = (
    "Chuyển đơn của đồng chí {name}: đề nghị xem xét lại mức xếp loại, vì các nhiệm vụ chậm "
    "tiến độ do cơ quan điều chỉnh kế hoạch, không do cá nhân."
)


class DemoMissing(Exception):
    """``seed_demo`` has not run (or its logins, units or committees were removed)."""


@dataclass
class SeedResult:
    created: list[EvaluationCampaign] = field(default_factory=list)
    present: list[EvaluationCampaign] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def existing() -> EvaluationCampaign | None:
    return (
        EvaluationCampaign.objects.filter(unit__code=ROOT_CODE, title=TITLE).order_by("pk").first()
    )


def seed_demo_evaluation() -> SeedResult:
    """Create the demo campaign unless it exists, in one transaction."""
    demo = _Demo()
    result = SeedResult()
    try:
        with transaction.atomic():
            # Two seeds at once (two `make run`s) must not both build it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK])
            found = existing()
            campaign = found or demo.build()
    except Refused as refused:  # a service said no: report it, leave nothing half-built
        result.warnings.append(f"{TITLE}: refused: {refused.message}")
    else:
        (result.present if found else result.created).append(campaign)
    return result


def state_counts(campaign: EvaluationCampaign) -> dict[str, int]:
    """How many of the campaign's evaluations stand in each state (the command's summary)."""
    counts = dict.fromkeys(EvaluationState.values, 0)
    for state in campaign.evaluations.values_list("state", flat=True):
        counts[state] += 1
    return {state: n for state, n in counts.items() if n}


# --------------------------------------------------------------------------- the builder


class _Demo:
    def __init__(self):
        try:
            self.board = User.objects.get(username=BOARD, is_active=True)
            self.chair = User.objects.get(username=CHAIR, is_active=True)
            root = OrgUnit.objects.get(code=ROOT_CODE)
            self.standing = Committee.objects.get(
                name=STANDING, kind=CommitteeKind.STANDING, unit=root
            )
        except (User.DoesNotExist, OrgUnit.DoesNotExist, Committee.DoesNotExist) as missing:
            raise DemoMissing(str(missing)) from missing
        self.units = list(OrgUnit.objects.filter(code__in=UNIT_CODES).order_by("path"))
        if len(self.units) != len(UNIT_CODES):
            raise DemoMissing(f"units {', '.join(UNIT_CODES)} not found")
        if selectors.chair_of(self.standing) != self.chair:
            raise DemoMissing(f"{CHAIR!r} does not chair the {STANDING}")
        self.logins = {d.username for d in DEMO_USERS}

    def build(self) -> EvaluationCampaign:
        campaign = services.campaign_open(
            actor=self.board,
            title=TITLE,
            period=EvaluationPeriod.YEAR,
            year=YEAR,
            units=self.units,
        )
        evaluations = list(
            campaign.evaluations.select_related(
                "campaign__ruleset", "unit", "cadre__user", "committee", "competent_body"
            )
        )
        plan = self._plan(evaluations)
        groups = rules.get(campaign.ruleset, ParameterKey.EVALUATION_CRITERIA)
        # Collectives first: the order rules want them decided before their members.
        ordered = sorted(evaluations, key=lambda e: e.subject != Subject.COLLECTIVE)
        for number, evaluation in enumerate(ordered):
            self._walk(evaluation, plan[evaluation.pk], groups, number)
        return EvaluationCampaign.objects.get(pk=campaign.pk)

    def _plan(self, evaluations: list[Evaluation]) -> dict[int, str]:
        """Where each evaluation is left (module docstring)."""
        plan: dict[int, str] = {}
        province = itertools.cycle(PROVINCE_PLAN)
        local = itertools.cycle(LOCAL_PLAN)
        complained = False
        for evaluation in evaluations:
            if evaluation.subject == Subject.COLLECTIVE:
                plan[evaluation.pk] = S.DECIDED
            elif evaluation.cadre.user and evaluation.cadre.user.username in self.logins:
                plan[evaluation.pk] = S.DRAFT  # left for the demo login to try
            elif evaluation.competent_body_id == self.standing.pk:
                plan[evaluation.pk] = next(province)
            else:
                state = next(local)
                if (
                    state == S.DECIDED
                    and not complained
                    and selectors.superior_body(evaluation.competent_body) is not None
                ):
                    state, complained = S.REEVALUATION, True
                plan[evaluation.pk] = state
        return plan

    def _walk(self, evaluation: Evaluation, target: str, groups: dict, number: int) -> None:
        """Take one evaluation through the services up to ``target``."""
        if target == S.DRAFT:
            return
        complaint = target == S.REEVALUATION
        level = EvaluationLevel.GOOD if number % 4 != 3 or complaint else EvaluationLevel.COMPLETED
        shares = SHARE[level]
        filer = selectors.self_assessor(evaluation) or self.board
        review = COLLECTIVE_REVIEW if evaluation.is_collective else SELF_REVIEW
        evaluation = services.evaluation_self_assess(
            actor=filer,
            evaluation=evaluation,
            scores=_scores(groups, shares[number % len(shares)]),
            review=review.format(year=YEAR),
        )
        if target == S.SELF_RATED:
            return
        if target == S.UNDER_APPRAISAL:
            services.evaluation_comments_record(
                actor=self.board, evaluation=evaluation, text=COMMENTS
            )
            return
        # The complaint's story: the board proposes a level below the self-rating, the city's
        # standing committee decides it, the cadre complains.
        proposed = EvaluationLevel.COMPLETED if complaint else evaluation.self_level
        evaluation = services.evaluation_appraise(
            actor=self.board,
            evaluation=evaluation,
            level=proposed,
            note=LOWER_NOTE if proposed != evaluation.self_level else "",
        )
        if target == S.PROPOSED:
            return
        chair = selectors.competent_chair(evaluation)
        if chair is None:  # nobody chairs the competent level today: it waits for one
            return
        evaluation = services.evaluation_decide(actor=chair, evaluation=evaluation, level=proposed)
        if complaint:
            services.evaluation_complain(
                actor=self.board,
                evaluation=evaluation,
                text=COMPLAINT.format(name=evaluation.cadre.full_name),
            )


def _scores(groups: dict, share: Decimal) -> dict[str, str]:
    """``share`` of each criteria group's points, to the half point."""
    half = Decimal("0.5")
    return {
        code: str((Decimal(most) * share / half).quantize(Decimal(1), ROUND_HALF_UP) * half)
        for code, most in groups.items()
    }


__all__ = [
    "TITLE",
    "DemoMissing",
    "SeedResult",
    "existing",
    "seed_demo_evaluation",
    "state_counts",
]
