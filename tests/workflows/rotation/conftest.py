import pytest
from django.utils import translation

from tests.workflows.rotation import kit


@pytest.fixture(autouse=True)
def _in_english():
    """Refusal messages are asserted in English, whatever the catalogue says in Vietnamese."""
    with translation.override("en"):
        yield


@pytest.fixture
def world(province, district_a, district_b):
    return kit.build_world(province, district_a, district_b)
