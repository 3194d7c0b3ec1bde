"""SQL expressions the registry searches and indexes on."""

from django.db.models import Func, TextField
from django.db.models.functions import Upper

# PostgreSQL's ``unaccent`` is STABLE (its dictionary could change), so no index may hold it;
# migration personnel 0005 declares this IMMUTABLE wrapper with the dictionary fixed.
UNACCENT_FUNCTION = "cadreflow_unaccent"


class PlainText(Func):
    """A text without its diacritics ("Nguyễn Văn Đức" → "Nguyen Van Duc"), in SQL."""

    function = UNACCENT_FUNCTION
    arity = 1
    output_field = TextField()


def plain_upper(field: str) -> Upper:
    """``UPPER(cadreflow_unaccent(field))``: what the name search compares, and what the
    trigram index ``cadre_plain_name_trgm`` holds. ``icontains`` on ``PlainText(field)``
    compiles to this very expression (PostgreSQL drops the no-op ``::text``), so the planner
    can use the index and its statistics."""
    return Upper(PlainText(field))
