"""The planning review through its services (domain §4, I-18): the steps to approved planning
entries and their publication, each cap at its boundary, only higher posts, the
concurrent-appointment guard, the gates, the votes that carry nobody, and a lost race."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from viewflow.workflow.status import STATUS

from notifications.models import Notification
from personnel.audit.models import AuditEvent
from personnel.models import DisciplineKind, Gender, PlanningEntry, PlanningStatus, PositionLevel
from tests.factories import DisciplineRecordFactory, PositionFactory, UserFactory
from tests.workflows.ballot_kit import load_rulesets
from tests.workflows.planning import kit
from workflows.appointment import services as appointment_services
from workflows.core.errors import Conflict, Forbidden, Invalid
from workflows.core.models import Choice, Deadline
from workflows.core.services import PaperMark
from workflows.planning import selectors, services
from workflows.planning.flows import APPROVE_WITHIN, PUBLISH_WITHIN
from workflows.planning.models import CandidateStatus, ReviewCandidate, Stage, StepCode

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


@pytest.fixture
def world(district_a):
    return kit.build_world(district_a)


def _open_nodes(process):
    return sorted(
        t.flow_task.name
        for t in process.task_set.exclude(status__in=[STATUS.DONE, STATUS.CANCELED])
    )


# --------------------------------------------------------------------------- the whole walk


def test_the_review_runs_to_approved_entries_and_is_published(
    world, django_capture_on_commit_callbacks
):
    planned_user = UserFactory()
    a, b, c = world.cadres[:3]
    a.user = planned_user
    a.save()
    post1, post2 = world.posts[:2]
    with django_capture_on_commit_callbacks(execute=True):
        review = kit.open_review(world)
        assert review.stage == Stage.SOURCE_LIST
        assert review.ruleset.code == "qd377-2025"  # the newest Party rule-set
        assert review.ruleset.in_use
        assert _open_nodes(review) == ["source_list"]
        kit.propose(world, review, post1, a)
        kit.propose(world, review, post1, b)
        kit.propose(world, review, post2, c)
        candidate = ReviewCandidate.objects.get(review=review, cadre=a)
        assert {g["code"] for g in candidate.gates} == {
            "planning_age",
            "standards",
            "political_standard",
            "discipline",
            "investigation",
        }
        assert all(g["passed"] for g in candidate.gates)
        review = kit.walk_to_vote(world, review)
        assert review.stage == Stage.VOTED
        assert _open_nodes(review) == ["decide"]
        # the competent chair's approval has a limit in working days
        [approval] = Deadline.objects.filter(process_id=review.pk, met_at__isnull=True)
        assert approval.working_days == APPROVE_WITHIN
        assert list(approval.responsible.all()) == [world.chair]
        # nothing is in the plan before the competent level approves
        assert not PlanningEntry.objects.filter(cadre__in=[a, b, c]).exists()
        review = kit.decide(world, review)
        assert review.stage == Stage.APPROVED
        assert _open_nodes(review) == ["publish"]
        entries = PlanningEntry.objects.filter(cadre__in=[a, b, c])
        assert {(e.cadre, e.position, e.status) for e in entries} == {
            (a, post1, PlanningStatus.APPROVED),
            (b, post1, PlanningStatus.APPROVED),
            (c, post2, PlanningStatus.APPROVED),
        }
        assert {(e.term_start_year, e.term_end_year) for e in entries} == {kit.TERM}
        assert set(review.candidates.values_list("status", flat=True)) == {CandidateStatus.PLANNED}
        # before publication the planned cadre sees nothing of it
        assert not selectors.published_plan_for_user(user=planned_user).exists()
        [publication] = Deadline.objects.filter(process_id=review.pk, met_at__isnull=True)
        assert publication.working_days == PUBLISH_WITHIN
        review = services.review_publish(actor=world.staff, review=review)
    assert review.stage == Stage.PUBLISHED
    assert not Deadline.objects.filter(process_id=review.pk, met_at__isnull=True).exists()
    assert review.status == STATUS.DONE
    assert list(review.steps.values_list("code", flat=True)) == [
        StepCode.LEADERSHIP,
        StepCode.KEY_OFFICIALS,
        StepCode.KEY_OFFICIALS,  # one ballot per post
        StepCode.STANDING,
        StepCode.STANDING,
    ]
    # published within scope: the board sees the list, the planned cadre their own entry
    assert set(selectors.published_plan_for_user(user=world.staff)) == set(entries)
    assert list(selectors.published_plan_for_user(user=planned_user)) == [entries.get(cadre=a)]
    published = Notification.objects.filter(kind="planning.published")
    assert list(published.values_list("recipient", flat=True)) == [planned_user.pk]
    assert Notification.objects.filter(kind="planning.decided", recipient=world.staff).exists()
    # every transition is on the audit trail, and each entry through the personnel service
    actions = set(AuditEvent.objects.filter(process_id=review.pk).values_list("action", flat=True))
    assert {
        "planning.review_open",
        "planning.propose",
        "planning.list_submit",
        "planning.step_call",
        "planning.step",
        "planning.approve",
        "planning.publish",
    } <= actions
    assert AuditEvent.objects.filter(action="planning.add").count() == 3


def test_the_key_officials_ballot_is_sealed_and_has_the_places_left_under_the_cap(world):
    review = kit.open_review(world)
    post = world.posts[0]
    kit.approved_entry(world.cadres[4], post)  # one place of three taken already
    kit.propose(world, review, post, world.cadres[0])
    kit.propose(world, review, post, world.cadres[1])
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    [step] = kit.call(world, review)
    assert step.ballot.kind == "nomination"
    assert step.ballot.sealed  # key officials' results are sealed in QĐ 377's rule-set
    assert step.ballot.seats == 2
    kit.run_meeting([step], kit.nominate_everyone)
    step.ballot.refresh_from_db()
    key_official = world.leadership.others[0]  # summoned, neither board nor competent body
    assert selectors.step_results(user=key_official, step=step) is None
    assert selectors.step_results(user=world.staff, step=step) is not None
    services.step_record(actor=world.staff, review=review)
    # the audit trail says which step and its category, never a count
    event = AuditEvent.objects.filter(action="planning.step").order_by("-seq").first()
    assert set(event.changes) == {"step", "result", "stage"}


def test_a_cadre_named_by_no_more_than_half_is_not_carried(world):
    review = kit.open_review(world)
    post = world.posts[0]
    a, b = world.cadres[:2]
    kit.propose(world, review, post, a)
    kit.propose(world, review, post, b)
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    steps = kit.call(world, review)

    def only_a(ballot, _i):
        return [PaperMark(choice=Choice.NOMINATE, candidate_id=ballot.candidates.get(cadre=a).pk)]

    kit.run_meeting(steps, only_a)
    services.step_record(actor=world.staff, review=review)
    assert ReviewCandidate.objects.get(review=review, cadre=a).status == CandidateStatus.ACTIVE
    assert ReviewCandidate.objects.get(review=review, cadre=b).status == CandidateStatus.NOT_CARRIED
    assert kit.refresh(review).stage == Stage.NOMINATED


def test_a_rejected_list_keeps_the_step_open_to_be_called_again(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    services.source_list_submit(actor=world.staff, review=review)

    def reject(ballot, _i):
        pk = ballot.candidates.get().pk
        return [PaperMark(choice=Choice.DISAPPROVE, candidate_id=pk)]

    kit.run_meeting(kit.call(world, review), reject)
    services.step_record(actor=world.staff, review=review)
    review = kit.refresh(review)
    assert review.stage == Stage.SOURCE_LIST
    assert services.current_step(review) == StepCode.LEADERSHIP
    [again] = kit.call(world, review)
    assert again.call == 2


def test_a_tie_at_the_standing_committee_goes_to_the_head(district_a):
    world = kit.build_world(district_a, standing_size=4)
    review = kit.open_review(world)
    a, b = world.cadres[:2]
    kit.propose(world, review, world.posts[0], a)
    kit.propose(world, review, world.posts[0], b)
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    services.step_record(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.nominate_everyone)
    services.step_record(actor=world.staff, review=review)
    [step] = kit.call(world, review)

    def half_for_a(ballot, i):
        choice = Choice.APPROVE if i < 2 else Choice.DISAPPROVE
        return [
            PaperMark(choice=choice if c.cadre_id == a.pk else Choice.APPROVE, candidate_id=c.pk)
            for c in ballot.candidates.all()
        ]

    [ballot] = kit.run_meeting([step], half_for_a)
    with pytest.raises(Conflict):  # the head decides first
        services.step_record(actor=world.staff, review=review)
    a_row = ballot.candidates.get(cadre=a).pk
    with pytest.raises(Forbidden):  # only the head of the meeting
        services.tie_decide(
            actor=world.staff, review=review, ballot=ballot, approve=[], differing_opinions="x"
        )
    services.tie_decide(
        actor=world.chair,
        review=review,
        ballot=ballot,
        approve=[],
        differing_opinions="Hai ý kiến tán thành, hai ý kiến không tán thành.",
    )
    services.step_record(actor=world.staff, review=review)
    assert ReviewCandidate.objects.get(review=review, cadre=a).status == CandidateStatus.NOT_CARRIED
    assert ReviewCandidate.objects.get(review=review, cadre=b).status == CandidateStatus.ACTIVE
    assert a_row  # the tied row was a's


def test_the_competent_level_may_refuse_the_plan_with_a_reason(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    review = kit.walk_to_vote(world, review)
    with pytest.raises(Invalid):
        kit.decide(world, review, approve=False, note=" ")
    review = kit.decide(world, review, approve=False, note="Chưa bảo đảm cơ cấu.")
    assert review.stage == Stage.REJECTED
    assert review.status == STATUS.DONE
    assert not PlanningEntry.objects.filter(cadre=world.cadres[0]).exists()


def test_an_approval_needs_the_decision_number_and_only_once(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    review = kit.walk_to_vote(world, review)
    with pytest.raises(Invalid):
        kit.decide(world, review, decision_ref=" ")
    kit.decide(world, review)
    with pytest.raises(Conflict):
        kit.decide(world, review)
    assert PlanningEntry.objects.filter(cadre=world.cadres[0]).count() == 1


def test_a_removed_cadre_planned_again_is_put_back_in_the_plan(world):
    cadre, post = world.cadres[0], world.posts[0]
    old = kit.approved_entry(cadre, post, status=PlanningStatus.REMOVED, removal_reason="Cũ")
    review = kit.open_review(world)
    kit.propose(world, review, post, cadre)
    kit.decide(world, kit.walk_to_vote(world, review))
    old.refresh_from_db()
    assert old.status == PlanningStatus.APPROVED
    assert old.removal_reason == ""
    assert PlanningEntry.objects.filter(cadre=cadre).count() == 1


def test_only_one_running_review_per_unit_and_term(world):
    kit.open_review(world)
    with pytest.raises(Conflict):
        kit.open_review(world)
    kit.open_review(world, term_start_year=2031, term_end_year=2036)  # the next term


def test_withdrawing_the_review_cancels_it_and_plans_nobody(world):
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    with pytest.raises(Invalid):
        services.review_withdraw(actor=world.staff, review=review, reason="")
    review = services.review_withdraw(actor=world.staff, review=review, reason="Sáp nhập đơn vị")
    assert review.stage == Stage.WITHDRAWN
    assert review.status == STATUS.CANCELED
    assert review.candidates.get().status == CandidateStatus.WITHDRAWN
    with pytest.raises(Conflict):
        kit.propose(world, review, world.posts[1], world.cadres[1])


# --------------------------------------------------------------------------- gates


def test_a_blocking_gate_stops_the_list_and_names_its_rule(world):
    review = kit.open_review(world)
    blocked = world.cadres[1]
    DisciplineRecordFactory(
        cadre=blocked, kind=DisciplineKind.REPRIMAND, effective_on=TODAY() - dt.timedelta(days=90)
    )
    kit.propose(world, review, world.posts[0], world.cadres[0])
    candidate = kit.propose(world, review, world.posts[0], blocked)
    failed = [g for g in candidate.gates if not g["passed"]]
    assert [(g["code"], g["blocking"]) for g in failed] == [("discipline", True)]
    with pytest.raises(Invalid) as refused:
        services.source_list_submit(actor=world.staff, review=review)
    assert str(blocked) in refused.value.message
    assert failed[0]["source"] in refused.value.message
    services.candidate_withdraw(
        actor=world.staff, review=review, candidate=candidate, reason="Đang trong thời hạn kỷ luật"
    )
    services.source_list_submit(actor=world.staff, review=review)
    assert services.current_step(kit.refresh(review)) == StepCode.LEADERSHIP


def test_a_cadre_without_a_full_term_left_at_the_term_start_is_over_the_planning_age(world):
    review = kit.open_review(world, term_start_year=2031, term_end_year=2036)
    # a man born in mid-1970 retires at 62 in 2032: a full term is left today, not in 2031
    late = kit.eligible_cadre(world.unit, "Trần Văn Muộn", born=dt.date(1970, 6, 15))
    candidate = kit.propose(world, review, world.posts[0], late)
    age = next(g for g in candidate.gates if g["code"] == "planning_age")
    assert not age["passed"] and age["blocking"]
    assert "01/01/2031" in age["message"]


def test_standards_below_the_post_are_shown_but_do_not_block(world):
    post = PositionFactory(
        unit=world.unit,
        level=PositionLevel.DISTRICT_DEPUTY,
        min_political_theory=30,  # advanced
    )
    review = kit.open_review(world)
    candidate = kit.propose(world, review, post, world.cadres[0])
    standards = next(g for g in candidate.gates if g["code"] == "standards")
    assert not standards["passed"] and not standards["blocking"]
    services.source_list_submit(actor=world.staff, review=review)


# --------------------------------------------------------------------------- caps (I-18)


def test_at_most_three_cadres_per_post_counting_the_approved_plan(world):
    post = world.posts[0]
    review = kit.open_review(world)
    kit.approved_entry(world.cadres[0], post)
    kit.propose(world, review, post, world.cadres[1])
    kit.propose(world, review, post, world.cadres[2])  # 1 approved + 2 proposed = 3: the cap
    with pytest.raises(Invalid) as refused:
        kit.propose(world, review, post, world.cadres[3])
    assert "3" in refused.value.message and "QĐ 377" in refused.value.message
    assert "1" in refused.value.message and "2" in refused.value.message
    assert not ReviewCandidate.objects.filter(cadre=world.cadres[3]).exists()
    # an entry of another term, a removed one, or a withdrawn proposal does not count
    PlanningEntry.objects.filter(cadre=world.cadres[0]).update(term_start_year=2021)
    kit.propose(world, review, post, world.cadres[3])


def test_the_per_post_cap_holds_again_when_the_competent_level_approves(world):
    post = world.posts[0]
    review = kit.open_review(world)
    for cadre in world.cadres[:3]:
        kit.propose(world, review, post, cadre)
    review = kit.walk_to_vote(world, review)
    # meanwhile another decision filled a place of the post
    kit.approved_entry(world.cadres[4], post)
    with pytest.raises(Invalid) as refused:
        kit.decide(world, review)
    assert "At most 3 cadres per post" in refused.value.message or "3" in refused.value.message
    assert not PlanningEntry.objects.filter(cadre__in=world.cadres[:3]).exists()
    assert kit.refresh(review).stage == Stage.VOTED


def test_at_most_three_posts_of_one_level_per_cadre(world):
    cadre = world.cadres[0]
    extra = PositionFactory(unit=world.unit, level=PositionLevel.DISTRICT_DEPUTY)
    other_level = PositionFactory(unit=world.unit, level=PositionLevel.DISTRICT_HEAD)
    kit.approved_entry(cadre, world.posts[0])
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[1], cadre)
    kit.propose(world, review, world.posts[2], cadre)  # 1 approved + 2 proposed = 3
    with pytest.raises(Invalid) as refused:
        kit.propose(world, review, extra, cadre)
    assert "posts of one level" in refused.value.message
    # a post of another level is counted apart
    kit.propose(world, review, other_level, cadre)


def test_only_a_post_higher_than_the_current_one(world):
    review = kit.open_review(world)
    deputy = kit.eligible_cadre(world.unit, "Lê Văn Phó", level=PositionLevel.DISTRICT_DEPUTY)
    same = world.posts[0]  # district deputy: the same level
    lower = PositionFactory(unit=world.unit, level=PositionLevel.DISTRICT_OFFICE_HEAD)
    higher = PositionFactory(unit=world.unit, level=PositionLevel.DISTRICT_HEAD)
    for post in (same, lower):
        with pytest.raises(Invalid) as refused:
            kit.propose(world, review, post, deputy)
        assert "higher" in refused.value.message
    kit.propose(world, review, higher, deputy)
    # a cadre holding no post may be planned for any post
    from tests.factories import CadreFactory

    newcomer = CadreFactory(unit=world.unit, date_of_birth=dt.date(1990, 1, 1))
    kit.propose(world, review, same, newcomer)


def test_no_planning_while_an_appointment_to_that_post_runs_for_the_cadre(world):
    cadre, post = world.cadres[0], world.posts[0]
    appointment = appointment_services.appointment_start(
        actor=world.staff, position=post, source="internal", memo="Tờ trình"
    )
    appointment = appointment_services.appointment_policy_decide(
        actor=world.chair, appointment=appointment, approve=True
    )
    appointment_services.candidates_set(actor=world.staff, appointment=appointment, cadres=[cadre])
    review = kit.open_review(world)
    with pytest.raises(Invalid) as refused:
        kit.propose(world, review, post, cadre)
    assert "appointment" in refused.value.message
    kit.propose(world, review, post, world.cadres[1])  # another cadre for that post
    kit.propose(world, review, world.posts[1], cadre)  # that cadre for another post
    appointment_services.appointment_withdraw(
        actor=world.staff, appointment=appointment, reason="Dừng quy trình"
    )
    kit.propose(world, review, post, cadre)


def test_the_appointment_guard_holds_again_at_the_approval(world):
    cadre, post = world.cadres[0], world.posts[0]
    review = kit.open_review(world)
    kit.propose(world, review, post, cadre)
    review = kit.walk_to_vote(world, review)
    appointment = appointment_services.appointment_start(
        actor=world.staff, position=post, source="internal", memo="Tờ trình"
    )
    appointment = appointment_services.appointment_policy_decide(
        actor=world.chair, appointment=appointment, approve=True
    )
    appointment_services.candidates_set(actor=world.staff, appointment=appointment, cadres=[cadre])
    with pytest.raises(Invalid):
        kit.decide(world, review)
    assert not PlanningEntry.objects.filter(cadre=cadre).exists()


# --------------------------------------------------------------------------- a lost race


@pytest.mark.django_db(transaction=True)
def test_two_board_members_recording_one_step_at_once_one_gets_a_conflict(district_a):
    load_rulesets()
    world = kit.build_world(district_a)
    review = kit.open_review(world)
    kit.propose(world, review, world.posts[0], world.cadres[0])
    services.source_list_submit(actor=world.staff, review=review)
    kit.run_meeting(kit.call(world, review), kit.approve_everything)
    barrier = threading.Barrier(2)
    outcomes = []

    def record(actor):
        try:
            barrier.wait()
            services.step_record(actor=actor, review=review, step=StepCode.LEADERSHIP)
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append("conflict")
            assert "someone else" in exc.message or "người khác" in exc.message
        finally:
            connection.close()

    threads = [threading.Thread(target=record, args=(u,)) for u in (world.staff, world.staff2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "ok"]
    assert review.steps.filter(recorded_at__isnull=False).count() == 1
    assert kit.refresh(review).stage == Stage.LIST_APPROVED


# --------------------------------------------------------------------------- structure targets


def _women(cadre):
    cadre.gender = Gender.FEMALE
    cadre.save()
    return cadre


def test_structure_ratios_per_post_and_unit_with_the_shortfall_flagged(world):
    today = TODAY()
    post1, post2, post3 = world.posts

    def born_aged(age, days=0):
        return today.replace(year=today.year - age) - dt.timedelta(days=days)

    young = kit.eligible_cadre(world.unit, "Trẻ", born=born_aged(39, days=1))  # 39: young
    forty = kit.eligible_cadre(world.unit, "Bốn mươi", born=born_aged(40))  # 40 today: not
    woman = _women(kit.eligible_cadre(world.unit, "Nữ", born=dt.date(1978, 1, 1)))
    older = kit.eligible_cadre(world.unit, "Lớn", born=dt.date(1976, 1, 1))
    for cadre in (young, woman, older):
        kit.approved_entry(cadre, post1)
    kit.approved_entry(forty, post2)
    kit.approved_entry(older, post2)
    structure = selectors.plan_structure(
        user=world.staff, unit=world.unit, term_start_year=kit.TERM[0]
    )
    assert structure.targets.young_under == 40  # district level
    assert (structure.targets.young_percent, structure.targets.women_percent) == (15, 25)
    by_post = {p.position: p for p in structure.posts}
    first = by_post[post1].ratios
    assert (first.total, first.young, first.women) == (3, 1, 1)
    assert not first.short
    second = by_post[post2].ratios
    assert (second.total, second.young, second.women) == (2, 0, 0)
    assert second.young_short and second.women_short
    assert by_post[post3].ratios.total == 0 and by_post[post3].ratios.short
    # the unit counts each person once: young 1 of 4 (25 %), women 1 of 4 (25 % = the target)
    unit = structure.ratios
    assert (unit.total, unit.young, unit.women) == (4, 1, 1)
    assert not unit.young_short and not unit.women_short
    assert structure.unverified and structure.source


def test_the_structure_of_a_running_review_counts_its_proposals(world):
    review = kit.open_review(world)
    woman = _women(world.cadres[0])
    kit.propose(world, review, world.posts[2], woman)
    structure = selectors.plan_structure(
        user=world.staff, unit=world.unit, term_start_year=kit.TERM[0], review=review
    )
    post = next(p for p in structure.posts if p.position == world.posts[2])
    assert [(p.cadre, p.proposed) for p in post.cadres] == [(woman, True)]
    assert not post.ratios.women_short and post.ratios.young_short


def test_the_structure_outside_the_scope_is_404(world, district_b):
    from django.http import Http404

    from tests.workflows.ballot_kit import board_staff

    outsider = board_staff(district_b)
    with pytest.raises(Http404):
        selectors.plan_structure(user=outsider, unit=world.unit, term_start_year=2026)
