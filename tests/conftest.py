import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's async-safety check would
# otherwise refuse the ORM calls that live_server tests make around it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def province(db):
    from personnel.models import ManagementLevel, UnitKind
    from tests.factories import OrgUnitFactory

    return OrgUnitFactory(
        name="Tỉnh Thử nghiệm",
        code="test-province",
        kind=UnitKind.PROVINCE_PARTY,
        management_level=ManagementLevel.PROVINCE,
    )


@pytest.fixture
def district_a(province):
    from tests.factories import OrgUnitFactory

    return OrgUnitFactory(name="Thành phố Cao Lãnh", code="cao-lanh", parent=province)


@pytest.fixture
def district_b(province):
    from tests.factories import OrgUnitFactory

    return OrgUnitFactory(name="Huyện Hồng Ngự", code="hong-ngu", parent=province)


@pytest.fixture(autouse=True, scope="session")
def _flush_may_truncate_append_only_tables():
    """Transactional tests end with a TRUNCATE of every table; the audit tables refuse it.

    Only the test runner's flush is let through (pgtrigger.ignore is per connection and thread).
    """
    import pgtrigger
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def teardown(self):
        with pgtrigger.ignore("audit.AuditEvent:no_truncate", "audit.AuditCheckpoint:no_truncate"):
            original(self)

    TransactionTestCase._fixture_teardown = teardown
    yield
    TransactionTestCase._fixture_teardown = original
