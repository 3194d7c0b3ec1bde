"""The fixed vocabulary of audited actions. Add new actions here, never free text."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # personnel registry
    UNIT_CREATE = "unit.create", _("Unit created")
    POSITION_CREATE = "position.create", _("Position created")
    CADRE_CREATE = "cadre.create", _("Cadre record created")
    CADRE_UPDATE = "cadre.update", _("Cadre record changed")
    CADRE_VIEW = "cadre.view", _("Cadre dossier opened")
    HOLDING_START = "holding.start", _("Position holding started")
    HOLDING_END = "holding.end", _("Position holding ended")
    COMMITTEE_CREATE = "committee.create", _("Committee created")
    MEMBERSHIP_ADD = "membership.add", _("Member added to committee")
    MEMBERSHIP_END = "membership.end", _("Committee membership ended")
    SCOPE_UPDATE = "scope.update", _("Access scope changed")
    DISCIPLINE_ADD = "discipline.add", _("Discipline recorded")
    INVESTIGATION_OPEN = "investigation.open", _("Investigation opened")
    INVESTIGATION_CLOSE = "investigation.close", _("Investigation closed")
    POLITICAL_CONCLUSION_ADD = "political_conclusion.add", _("Political-standard conclusion added")
    EVALUATION_ADD = "evaluation.add", _("Evaluation result recorded")
    PLANNING_ADD = "planning.add", _("Planning entry added")
    TRAINING_ADD = "training.add", _("Training recorded")
    # changes made in the administration site
    ADMIN_CREATE = "admin.create", _("Record created in administration")
    ADMIN_UPDATE = "admin.update", _("Record changed in administration")
    ADMIN_DELETE = "admin.delete", _("Record deleted in administration")
    # workflow tasks and processes (transitions viewflow itself does not record)
    TASK_ASSIGN = "task.assign", _("Task claimed or assigned")
    TASK_UNASSIGN = "task.unassign", _("Task released")
    TASK_REASSIGN = "task.reassign", _("Task reassigned")
    TASK_EXECUTE = "task.execute", _("Task completed")
    TASK_CANCEL = "task.cancel", _("Task cancelled")
    TASK_UNDO = "task.undo", _("Task undone")
    TASK_REVIVE = "task.revive", _("Task revived")
    PROCESS_CANCEL = "process.cancel", _("Procedure cancelled")
    # the audit trail itself
    AUDIT_EXPORT = "audit.export", _("Audit events exported")
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Audit checkpoint recorded")
