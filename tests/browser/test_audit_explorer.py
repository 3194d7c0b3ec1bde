"""An inspection-committee auditor filters one cadre's history in the audit explorer."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from personnel import models, services
from tests.factories import CadreFactory, CommitteeFactory, OrgUnitFactory, UserFactory, member_of

PASSWORD = "correct-horse-battery"


@pytest.fixture
def trail(transactional_db):
    province = OrgUnitFactory(
        name="Tỉnh Đồng Tháp",
        code="dt",
        kind=models.UnitKind.PROVINCE_PARTY,
        management_level=models.ManagementLevel.PROVINCE,
    )
    inspection = CommitteeFactory(
        unit=province, kind=models.CommitteeKind.INSPECTION, name="Ủy ban Kiểm tra Tỉnh ủy"
    )
    member_of(inspection, user=UserFactory(username="kiemtra"))
    staff = UserFactory(username="tochuc")
    target = CadreFactory(full_name="Huỳnh Văn Tâm", unit=province, home_town="Sa Đéc")
    other = CadreFactory(full_name="Lý Thị Khác", unit=province)
    services.cadre_update(actor=staff, cadre=target, home_town="Lai Vung", reason="Theo hồ sơ gốc")
    services.discipline_record_add(
        actor=staff,
        cadre=target,
        kind=models.DisciplineKind.REPRIMAND,
        effective_on=dt.date(2026, 1, 5),
        decision_ref="QĐ 07",
    )
    services.cadre_update(actor=staff, cadre=other, home_town="Tháp Mười")
    return {"target": target}


def test_auditor_filters_a_cadres_history(live_server, page, trail, output_dir, log_in):
    log_in(page, "kiemtra")
    page.goto(f"{live_server.url}/audit/events/")
    events = page.get_by_test_id("audit-events")
    expect(events).to_contain_text("Tháp Mười")

    page.fill("input[name=cadre]", "huynh van tam")
    page.get_by_test_id("audit-search").click()
    expect(page).to_have_url(re.compile(r"cadre=huynh"))
    expect(events).to_contain_text("Lai Vung")
    expect(events).to_contain_text("Theo hồ sơ gốc")
    expect(events).not_to_contain_text("Tháp Mười")

    page.get_by_role("link", name="lịch sử cán bộ").first.click()
    expect(page.get_by_role("heading", name=re.compile("Huỳnh Văn Tâm"))).to_be_visible()
    rows = page.get_by_test_id("audit-events").locator("tbody tr")
    expect(rows).to_have_count(2)
    page.screenshot(path=str(output_dir / "audit-cadre-history.png"), full_page=True)
