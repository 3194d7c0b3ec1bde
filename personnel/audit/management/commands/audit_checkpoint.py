from django.core.management.base import BaseCommand

from personnel.audit.services import audit_checkpoint_create


class Command(BaseCommand):
    help = (
        "Record and print the audit chain head (sequence number and digest), to be written into "
        "meeting minutes or sent outside the system. audit_verify checks it later."
    )

    def add_arguments(self, parser):
        parser.add_argument("--note", default="", help="where the checkpoint will be published")

    def handle(self, *args, note="", **options):
        checkpoint = audit_checkpoint_create(actor=None, note=note)
        self.stdout.write(f"Audit checkpoint: #{checkpoint.seq} sha256:{checkpoint.hash}")
