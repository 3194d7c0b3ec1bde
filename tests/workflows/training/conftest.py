import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _in_english():
    """Refusal messages are asserted in English, whatever the catalogue says in Vietnamese."""
    with translation.override("en"):
        yield
