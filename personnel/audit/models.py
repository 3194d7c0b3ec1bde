"""The audit trail: append-only in PostgreSQL and chained by hashes.

- ``AuditEvent`` rows are written only by ``services.audit_record``, in the transaction of the
  change they describe. Triggers refuse UPDATE, DELETE and TRUNCATE, and refuse an INSERT that
  does not extend the chain head (next ``seq``, previous hash).
- Each row stores ``prev_hash`` and ``hash = sha256(prev_hash || canonical(row))``
  (``canonical.py``); ``manage.py audit_verify`` recomputes the chain.
- ``AuditCheckpoint`` rows record chain heads published outside the system.
"""

import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


def append_only() -> list:
    """Triggers that refuse UPDATE, DELETE and TRUNCATE: no code path can rewrite the table."""
    return [
        pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete),
        pgtrigger.Trigger(
            name="no_truncate",
            operation=pgtrigger.Truncate,
            level=pgtrigger.Statement,
            when=pgtrigger.Before,
            func="RAISE EXCEPTION 'pgtrigger: Cannot truncate % table', TG_TABLE_NAME;",
        ),
    ]


class AuditEvent(models.Model):
    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    occurred_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,  # the trail outlives accounts; the username is kept below
    )
    actor_username = models.CharField(_("actor username"), max_length=150, blank=True)
    actor_committee_id = models.BigIntegerField(_("acting for committee"), null=True, blank=True)
    actor_role = models.CharField(_("capacity"), max_length=30, blank=True)
    # The vocabulary is `Action`; not declared as field choices so that adding an action needs
    # no migration (audit_record only accepts Action values).
    action = models.CharField(_("action"), max_length=40)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    procedure = models.CharField(_("procedure"), max_length=30, blank=True)
    process_id = models.BigIntegerField(_("process"), null=True, blank=True)
    cadre_id = models.BigIntegerField(_("cadre"), null=True, blank=True)
    # The organisational unit the event concerns: what scopes the explorer for auditors.
    unit_id = models.BigIntegerField(_("unit"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        db_table = "audit_event"
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["cadre_id", "-seq"], name="audit_cadre_seq"),
            models.Index(fields=["process_id", "-seq"], name="audit_process_seq"),
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq"),
            # The explorer filters by the username kept on the event (accounts may be gone).
            models.Index(fields=["actor_username", "-seq"], name="audit_actor_username_seq"),
            models.Index(fields=["action", "-seq"], name="audit_action_seq"),
            models.Index(fields=["actor_committee_id", "-seq"], name="audit_committee_seq"),
            models.Index(fields=["procedure", "-seq"], name="audit_procedure_seq"),
            models.Index(fields=["unit_id", "-seq"], name="audit_unit_seq"),
            models.Index(fields=["occurred_at"], name="audit_time"),
            # The explorer's text filter is ``reason__icontains``: UPPER(reason) LIKE UPPER(%s).
            # A trigram index on the bare column cannot serve it, so a search for a word no
            # reason holds walked all 1,000,000 events (1.4 s at large; with this, 97 ms).
            GinIndex(OpClass(Upper("reason"), name="gin_trgm_ops"), name="audit_reason_upper_trgm"),
        ]
        triggers = [
            *append_only(),
            # Any INSERT must extend the chain: the next sequence number, the head's hash.
            pgtrigger.Trigger(
                name="extends_chain",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func="""
                DECLARE head record;
                BEGIN
                    SELECT seq, hash INTO head FROM audit_event ORDER BY seq DESC LIMIT 1;
                    IF head.seq IS NULL THEN
                        IF NEW.seq <> 1 OR NEW.prev_hash <> repeat('0', 64) THEN
                            RAISE EXCEPTION 'audit chain must start at 1';
                        END IF;
                    ELSIF NEW.seq <> head.seq + 1 OR NEW.prev_hash <> head.hash THEN
                        RAISE EXCEPTION 'audit event % does not extend the chain head %',
                            NEW.seq, head.seq;
                    END IF;
                    RETURN NEW;
                END;
                """,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_type}:{self.target_id}"


class AuditCheckpoint(models.Model):
    """A chain head written down outside the system (meeting minutes, a letter, an e-mail)."""

    seq = models.BigIntegerField(_("sequence"))
    hash = models.CharField(_("hash"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        db_table = "audit_checkpoint"
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["-seq"]
        triggers = append_only()

    def __str__(self) -> str:
        return f"#{self.seq} {self.hash[:16]}…"
