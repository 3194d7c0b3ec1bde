"""The planning review (issue #7) in the browser, from the open form to the published plan, with
the standing committee voting on the planning list from phones:

- the organisation board opens the review on /planning/open/, proposes cadres per post on the
  review page (two for one post, one for another) and submits the source list;
- the board calls and records every step on the review page; the leadership collective's and
  the key officials' meetings run through the services (off the page thread), the standing
  committee's meeting runs in the browser: the chair convenes, takes attendance and opens one
  approval ballot per post, three members vote per candidate on 390 px phones (one cadre is
  turned down), the chair closes the ballots;
- what the review page shows after recording depends on who reads it: the voter (a member of
  the competent body) reads the step's outcome; a leadership member who is neither on the
  board nor on the competent body reads the key officials' step as "sealed" and no outcome of
  the standing committee's step (not summoned to it, and its results are not announced to
  them) — ``workflows.core.services.can_see_results``;
- the competent chair approves on the review page, the board publishes, and /planning/plan/
  lists the planned cadres to a user within the unit's scope and nothing to a board member of
  another district.

The vote page, the review page (the board's, with its record form; a voter's; a leadership
member's) and the published plan are checked for horizontal overflow at 390 px, and the cells of
the structure table for content that flows inside them.
"""

import re

import pytest
from playwright.sync_api import expect

from personnel.models import ManagementLevel, PlanningEntry, PlanningStatus, UnitKind
from tests.browser.kit import no_overflow, off_the_page_thread
from tests.factories import OrgUnitFactory
from tests.workflows.ballot_kit import board_staff, load_rulesets
from tests.workflows.planning import kit
from workflows.core.models import BallotStatus, Choice
from workflows.planning.models import CandidateStatus, PlanningReview, ReviewStep, Stage, StepCode


@pytest.fixture
def world(transactional_db):
    # An earlier transactional test's flush empties every table, the rule-sets from the data
    # migration included: load them again (idempotent).
    load_rulesets()
    province = OrgUnitFactory(
        name="Tỉnh Đồng Tháp",
        code="dong-thap",
        kind=UnitKind.PROVINCE_PARTY,
        management_level=ManagementLevel.PROVINCE,
    )
    district = OrgUnitFactory(name="Thành phố Cao Lãnh", code="cao-lanh", parent=province)
    world = kit.build_world(district, n_cadres=3)
    neighbour = OrgUnitFactory(name="Huyện Hồng Ngự", code="hong-ngu", parent=province)
    return world, board_staff(neighbour)


def _content_flows(cell) -> None:
    """On a phone a table cell is a row: its label, then its content flowing to the right of it.
    A flex cell would split each piece of content (a post's unit, a list of names) into a narrow
    column of its own; and nothing may stick out of the cell."""
    display, inside = cell.evaluate(
        """td => {
            const box = td.getBoundingClientRect();
            const kids = [...td.querySelectorAll('*')].map(n => n.getBoundingClientRect());
            return [getComputedStyle(td).display,
                    kids.every(k => k.right <= box.right + 1 && k.left >= box.left - 1)];
        }"""
    )
    assert display != "flex", "a table cell is a flex row on a phone"
    assert inside, "a table cell's content sticks out of it"


def _pending(review_id: int, code: str) -> list[ReviewStep]:
    return list(
        ReviewStep.objects.select_related("meeting", "ballot")
        .filter(review_id=review_id, code=code, recorded_at__isnull=True)
        .order_by("pk")
    )


def _call_on_review_page(page, detail: str, code: str, place: str) -> None:
    page.goto(detail)
    call = page.get_by_test_id("call-form")
    expect(call.locator("input[name=step]")).to_have_value(code)
    call.locator("input[name=place]").fill(place)
    page.get_by_test_id("call-submit").click()
    expect(page.get_by_test_id("meeting-running")).to_be_visible()


def _record_on_review_page(page, detail: str, code: str, note: str) -> None:
    page.goto(detail)
    form = page.get_by_test_id("record-form")
    expect(form.locator("input[name=step]")).to_have_value(code)
    form.locator("textarea").fill(note)
    page.get_by_test_id("record-submit").click()
    expect(page.get_by_test_id("record-form")).to_have_count(0)


def _meeting_on_the_services(steps: list[ReviewStep], marks_for) -> None:
    closed = kit.run_meeting(steps, marks_for)
    assert all(b.status == BallotStatus.CLOSED for b in closed)


def test_standing_committee_votes_on_the_planning_list_from_phones(
    live_server, world, browser_of, output_dir
):
    world, outsider = world
    url = live_server.url
    first_post, second_post = world.posts[:2]
    kept, turned_down, other = world.cadres  # Nguồn A, Nguồn B, Nguồn C
    voters = world.standing.others[:3]

    # 1. The organisation board opens the review.
    board = browser_of(world.staff)
    board.goto(f"{url}/planning/open/")
    form = board.get_by_test_id("open-form")
    form.locator("#id_open_unit").select_option(str(world.unit.pk))
    form.locator("#id_open_term_start_year").fill(str(kit.TERM[0]))
    form.locator("#id_open_term_end_year").fill(str(kit.TERM[1]))
    form.locator("#id_open_note").fill("Rà soát, bổ sung quy hoạch nhiệm kỳ 2026–2031")
    board.get_by_test_id("open-submit").click()
    board.wait_for_url(re.compile(r"/planning/\d+/$"))
    review_id = int(re.search(r"/planning/(\d+)/$", board.url).group(1))
    detail = f"{url}/planning/{review_id}/"
    review = PlanningReview.objects.get(pk=review_id)
    assert review.unit == world.unit and review.stage == Stage.SOURCE_LIST
    assert (review.term_start_year, review.term_end_year) == kit.TERM

    # 2. It proposes two cadres for the first post and one for the second, on the review page.
    source_list = board.get_by_test_id("source-list")
    for post, cadre in ((first_post, kept), (first_post, turned_down), (second_post, other)):
        propose = board.get_by_test_id("propose-form")
        propose.locator("#id_propose_position").select_option(str(post.pk))
        propose.locator("#id_propose_cadre").select_option(str(cadre.pk))
        board.get_by_test_id("propose-submit").click()
        expect(source_list).to_contain_text(cadre.full_name)
    candidates = {c.cadre_id: c for c in review.candidates.all()}
    assert set(candidates) == {kept.pk, turned_down.pk, other.pk}
    assert candidates[turned_down.pk].position == first_post
    assert candidates[other.pk].position == second_post

    board.get_by_test_id("submit-submit").click()
    expect(board.get_by_test_id("submit-form")).to_have_count(0)
    expect(board.get_by_test_id("call-form")).to_be_visible()
    assert kit.refresh(review).submitted_by == world.staff

    # 3. The leadership collective and the key officials: called and recorded by the board on
    #    the page, their meetings run through the services (everyone approves, then names
    #    everyone listed).
    for code, marks_for, note in (
        (StepCode.LEADERSHIP, kit.approve_everything, "Tập thể lãnh đạo thông qua danh sách."),
        (StepCode.KEY_OFFICIALS, kit.nominate_everyone, "Hội nghị cán bộ chủ chốt giới thiệu."),
    ):
        _call_on_review_page(board, detail, code, "Phòng họp Thành ủy")
        off_the_page_thread(_meeting_on_the_services, _pending(review_id, code), marks_for)
        _record_on_review_page(board, detail, code, note)
    assert kit.refresh(review).stage == Stage.NOMINATED
    key_step = ReviewStep.objects.get(
        review_id=review_id, code=StepCode.KEY_OFFICIALS, position=first_post
    )
    assert key_step.ballot.sealed  # the rule-set seals the key officials' meeting

    # 4. The standing committee: the board calls the meeting, one approval ballot per post.
    _call_on_review_page(board, detail, StepCode.STANDING, "Phòng họp Ban Thường vụ")
    steps = _pending(review_id, StepCode.STANDING)
    assert [s.position for s in steps] == [first_post, second_post]
    meeting = steps[0].meeting
    assert {s.meeting_id for s in steps} == {meeting.pk}
    assert meeting.chair == world.chair and not steps[0].ballot.sealed
    console = f"{url}/meetings/{meeting.pk}/"

    # The chair convenes and takes attendance (everyone present).
    chair = browser_of(world.chair)
    chair.goto(console)
    chair.get_by_test_id("convene").click()
    expect(chair.get_by_test_id("convene")).to_have_count(0)
    attendance = chair.get_by_test_id("attendance-form")
    summons = list(meeting.summons.all())
    for s in summons:
        attendance.locator(f"input[name=attendance_{s.user_id}][value=present]").check()
    chair.get_by_test_id("attendance-save").click()
    expect(chair.locator(".cf-quorum--met")).to_be_visible()
    eligible = sum(1 for s in summons if s.votes)
    assert eligible == len(world.standing.members)

    # One ballot open at a time: the chair opens the post's ballot, three members vote on it
    # from their phones, per candidate (keep A and C, turn B down), the chair closes it.
    wanted = {
        kept.pk: Choice.APPROVE,
        turned_down.pk: Choice.DISAPPROVE,
        other.pk: Choice.APPROVE,
    }
    names = {c.pk: c.full_name for c in world.cadres}
    phones = [browser_of(voter, phone=True) for voter in voters]
    for step in steps:
        ballot = step.ballot
        rows = dict(ballot.candidates.values_list("cadre_id", "pk"))
        assert set(rows) == {c.cadre_id for c in candidates.values() if c.position == step.position}
        chair.get_by_test_id(f"open-{ballot.pk}").click()
        turnout = chair.get_by_test_id(f"turnout-{ballot.pk}")
        expect(turnout).to_contain_text(f"0 / {eligible}")
        for i, phone in enumerate(phones):
            phone.goto(console)
            phone.get_by_test_id(f"vote-link-{ballot.pk}").click()
            paper = phone.get_by_test_id("vote-form")
            expect(paper).to_be_visible()
            # The paper lists the post's cadres, each with its own choice, and no one else.
            for cadre_id, row in rows.items():
                expect(phone.get_by_test_id(f"candidate-{row}")).to_contain_text(names[cadre_id])
            expect(paper.locator("fieldset")).to_have_count(len(rows))
            for cadre_id, row in rows.items():
                phone.get_by_test_id(f"choice-{row}-{wanted[cadre_id].value}").click()
            no_overflow(phone)
            if i == 0 and step is steps[0]:
                phone.screenshot(path=str(output_dir / "planning-phone-paper.png"), full_page=True)
            phone.get_by_test_id("vote-submit").click()
            expect(phone.get_by_test_id("vote-recorded")).to_be_visible()
            no_overflow(phone)
        # The console polls the turnout (live_server has no websockets).
        expect(turnout).to_contain_text(f"{len(voters)} / {eligible}", timeout=10_000)
        chair.get_by_test_id(f"close-{ballot.pk}").click()
        expect(chair.get_by_test_id(f"results-{ballot.pk}")).to_be_visible()
    for phone in phones:
        phone.context.close()
    for step in steps:
        step.ballot.refresh_from_db()
        assert step.ballot.status == BallotStatus.CLOSED
        assert step.ballot.turnout == len(voters)

    # The board's review page on a phone, with the record form on it: no sideways scrolling.
    board_phone = browser_of(world.staff, phone=True)
    board_phone.goto(detail)
    expect(board_phone.get_by_test_id("record-form")).to_be_visible()
    no_overflow(board_phone)
    # The structure table names both proposals of the first post, each cell flowing as one.
    row = board_phone.get_by_test_id(f"structure-post-{first_post.pk}")
    expect(row).to_contain_text(f"{kept.full_name}")
    expect(row).to_contain_text(f"{turned_down.full_name}")
    for cell in row.locator("td").all()[:2]:
        _content_flows(cell)
    board_phone.screenshot(path=str(output_dir / "planning-phone-record.png"), full_page=True)

    # The board records the step: A and C go on, B leaves the list.
    _record_on_review_page(board, detail, StepCode.STANDING, "Ban Thường vụ biểu quyết.")
    first, second = steps
    expect(board.get_by_test_id(f"outcome-{first.pk}")).to_contain_text(kept.full_name)
    expect(board.get_by_test_id(f"outcome-{first.pk}")).not_to_contain_text(turned_down.full_name)
    expect(board.get_by_test_id(f"outcome-{second.pk}")).to_contain_text(other.full_name)
    review = kit.refresh(review)
    assert review.stage == Stage.VOTED
    statuses = dict(review.candidates.values_list("cadre_id", "status"))
    assert statuses == {
        kept.pk: CandidateStatus.ACTIVE,
        turned_down.pk: CandidateStatus.NOT_CARRIED,
        other.pk: CandidateStatus.ACTIVE,
    }

    # A voter (a member of the competent body) reads the outcome on a phone.
    voter_phone = browser_of(voters[0], phone=True)
    voter_phone.goto(detail)
    outcome = voter_phone.get_by_test_id(f"outcome-{first.pk}")
    expect(outcome).to_contain_text(kept.full_name)
    expect(voter_phone.get_by_test_id(f"results-{first.pk}")).to_be_visible()
    expect(voter_phone.get_by_test_id(f"sealed-{key_step.pk}")).to_have_count(0)
    no_overflow(voter_phone)
    voter_phone.screenshot(path=str(output_dir / "planning-phone-outcome.png"), full_page=True)

    # A leadership member off the board and off the competent body: the key officials' step
    # reads "sealed" and nothing of the standing committee's outcome shows.
    reader = browser_of(world.leadership.others[0], phone=True)
    reader.goto(detail)
    expect(reader.get_by_test_id(f"sealed-{key_step.pk}")).to_be_visible()
    expect(reader.get_by_test_id(f"outcome-{key_step.pk}")).to_have_count(0)
    expect(reader.get_by_test_id(f"step-{first.pk}")).to_be_visible()
    expect(reader.get_by_test_id(f"outcome-{first.pk}")).to_have_count(0)
    expect(reader.get_by_test_id(f"results-{first.pk}")).to_have_count(0)
    expect(reader.get_by_test_id("source-list")).to_have_count(0)
    no_overflow(reader)

    # 5. The competent chair approves the plan; the board publishes it.
    chair.goto(detail)
    decide = chair.get_by_test_id("decide-form")
    decide.locator("input[name=decision][value=yes]").check()
    decide.locator("input[name=decision_ref]").fill("45-QĐ/TU")
    chair.get_by_test_id("decide-submit").click()
    expect(chair.get_by_test_id("timeline-decision")).to_be_visible()
    expect(chair.get_by_test_id("decision-ref")).to_have_text("45-QĐ/TU")
    assert kit.refresh(review).stage == Stage.APPROVED

    board.goto(detail)
    board.get_by_test_id("publish-submit").click()
    expect(board.get_by_test_id("timeline-published")).to_be_visible()
    expect(board.get_by_test_id("actions")).to_have_count(0)
    assert kit.refresh(review).stage == Stage.PUBLISHED

    entries = {
        e.cadre_id: e
        for e in PlanningEntry.objects.filter(
            status=PlanningStatus.APPROVED, term_start_year=kit.TERM[0]
        )
    }
    assert set(entries) == {kept.pk, other.pk}
    assert entries[kept.pk].position == first_post
    assert entries[other.pk].position == second_post

    # The published plan, read by a member within the unit's scope, on a phone.
    voter_phone.goto(f"{url}/planning/plan/")
    plan = voter_phone.get_by_test_id("plan")
    for cadre, post in ((kept, first_post), (other, second_post)):
        row = voter_phone.get_by_test_id(f"entry-{entries[cadre.pk].pk}")
        expect(row).to_contain_text(cadre.full_name)
        expect(row).to_contain_text(post.title)
    expect(plan.locator("tbody tr")).to_have_count(2)
    expect(plan).not_to_contain_text(turned_down.full_name)
    no_overflow(voter_phone)
    voter_phone.screenshot(path=str(output_dir / "planning-phone-plan.png"), full_page=True)

    # A board member of another district sees none of it.
    stranger = browser_of(outsider)
    stranger.goto(f"{url}/planning/plan/")
    expect(stranger.get_by_test_id("plan").locator(".cf-empty")).to_be_visible()
    expect(stranger.get_by_test_id("plan")).not_to_contain_text(kept.full_name)
