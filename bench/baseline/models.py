from django.conf import settings
from django.db import models


class Mark(models.Model):
    """One row per POST: the small transactional write the baseline measures."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    note = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.note}"
