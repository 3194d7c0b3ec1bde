"""The rotation plan, a rotation and a transfer as viewflow flows (domain §6.3, §6.4).

```
RotationPlanFlow:
start → draft (board of the plan's unit) → ballot (board: the standing committee's vote) → end

RotationFlow (one per cadre of a plan):
start → prepare (board) → decide (competent chair) → hand_over (sending unit's board)
      → receive (receiving unit's board or chair) → in_rotation (board: reports, review)
      → place (competent chair) → end

TransferFlow (điều động, the shorter path):
start → prepare (board) → decide (competent chair) → hand_over → receive → end
```

Every human task is done through ``workflows.rotation.services``, which check who may act,
lock the process (a plan before its items) and complete the task. The vote runs in the meeting
and ballot engine: the ``ballot`` task waits while its meeting runs and is completed when the
board records a closed ballot that carried someone. A cadre's ``prepare`` task is open from
the moment they are put in the plan (the conversation, the consultations and the dossier may
be prepared while the plan is voted on); it is submitted once the plan is approved.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from viewflow import this
from viewflow.workflow import flow

from workflows.core import nodes

from . import selectors
from .models import Movement, RotationPlan
from .views import task_page

#: Working days for the tasks that follow a submission or a decision (design defaults: the
#: regulations set no limit, §6.3; reminders go to whoever the task waits for)
DECIDE_WITHIN = 10
HAND_OVER_WITHIN = 10
RECEIVE_WITHIN = 5
PLACE_WITHIN = 10


def _owner_board(activation):
    return selectors.board_members(activation.process.coerced.unit)


def _sending_board(activation):
    return selectors.board_members(activation.process.coerced.from_unit)


def _receivers(activation):
    return selectors.receivers(activation.process.coerced)


def _competent_chair(activation):
    return selectors.competent_chair(activation.process.coerced)


def _task(title, queue):
    return nodes.View(task_page).Annotation(title=title).Queue(queue)


def _decide(title):
    return (
        nodes.View(task_page).Annotation(title=title).Assign(_competent_chair).Within(DECIDE_WITHIN)
    )


def _in_scope(selector, user, obj) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    if obj is None:
        return True
    return selector(user=user).filter(pk=obj.pk).exists()


class _Start:
    def begin(self, activation, **fields):
        for name, value in fields.items():
            setattr(activation.process, name, value)
        return activation.process


class RotationPlanFlow(_Start, nodes.Flow):
    """Rotation plan

    A unit's rotation plan for a period: the organisation board drafts it, the standing
    committee approves it by secret ballot."""

    process_class = RotationPlan
    procedure = "rotation"

    start = flow.StartHandle(this.begin).Next(this.draft)
    draft = _task(_("Draft the rotation plan"), _owner_board).Next(this.ballot)
    ballot = _task(_("Standing committee: vote on the rotation plan"), _owner_board).Next(this.end)
    end = flow.End()

    # Scope: only within the user's units (viewflow would show every process of the flow to
    # anyone holding the model-wide view permission).
    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.plans_for_user, user, obj)


class RotationFlow(_Start, nodes.Flow):
    """Rotation

    One cadre of an approved rotation plan: conversation, consultation of both units, dossier,
    decision, handover and reception, periodic reports, review and placement."""

    process_class = Movement
    procedure = "rotation"

    start = flow.StartHandle(this.begin).Next(this.prepare)
    prepare = _task(_("Prepare the rotation decision"), _owner_board).Next(this.decide)
    decide = _decide(_("Decide the rotation")).Next(this.hand_over)
    hand_over = (
        _task(_("Hand the rotated cadre over"), _sending_board)
        .Within(HAND_OVER_WITHIN)
        .Next(this.receive)
    )
    receive = (
        _task(_("Receive the rotated cadre"), _receivers)
        .Within(RECEIVE_WITHIN)
        .Next(this.in_rotation)
    )
    in_rotation = _task(_("Rotation under way: reports, then the review"), _owner_board).Next(
        this.place
    )
    place = (
        nodes.View(task_page)
        .Annotation(title=_("Decide the placement after the rotation"))
        .Assign(_competent_chair)
        .Within(PLACE_WITHIN)
        .Next(this.end)
    )
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.cadre_id

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.movements_for_user, user, obj)


class TransferFlow(_Start, nodes.Flow):
    """Transfer

    One cadre transferred (điều động): consultation of both units, decision, handover and
    reception."""

    process_class = Movement
    procedure = "rotation"

    start = flow.StartHandle(this.begin).Next(this.prepare)
    prepare = _task(_("Prepare the transfer decision"), _owner_board).Next(this.decide)
    decide = _decide(_("Decide the transfer")).Next(this.hand_over)
    hand_over = (
        _task(_("Hand the transferred cadre over"), _sending_board)
        .Within(HAND_OVER_WITHIN)
        .Next(this.receive)
    )
    receive = (
        _task(_("Receive the transferred cadre"), _receivers).Within(RECEIVE_WITHIN).Next(this.end)
    )
    end = flow.End()

    @staticmethod
    def cadre_of(process):
        return process.coerced.cadre_id

    def has_view_permission(self, user, obj=None):
        return _in_scope(selectors.movements_for_user, user, obj)
