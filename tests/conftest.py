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
