"""A committee member's first journey: log in, search, open a profile, switch language."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from personnel import models, services
from tests.factories import (
    CadreFactory,
    CommitteeFactory,
    OrgUnitFactory,
    PositionFactory,
    UserFactory,
    member_of,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture
def scene(transactional_db):
    province = OrgUnitFactory(
        name="Tỉnh Đồng Tháp",
        code="dt",
        kind=models.UnitKind.PROVINCE_PARTY,
        management_level=models.ManagementLevel.PROVINCE,
    )
    cao_lanh = OrgUnitFactory(name="Thành phố Cao Lãnh", code="cl", parent=province)
    hong_ngu = OrgUnitFactory(name="Huyện Hồng Ngự", code="hn", parent=province)
    committee = CommitteeFactory(unit=cao_lanh, name="Ban Thường vụ Thành ủy Cao Lãnh")
    user = UserFactory(username="uyvien", first_name="Hùng", last_name="Trần Văn")
    member_of(committee, user=user)
    target = CadreFactory(
        full_name="Nguyễn Thị Thu Hà", unit=cao_lanh, gender="F", date_of_birth=dt.date(1978, 3, 9)
    )
    services.holding_start(
        actor=None,
        cadre=target,
        started_on=dt.date(2021, 10, 1),
        position=PositionFactory(unit=cao_lanh, title="Trưởng Ban Dân vận Thành ủy"),
    )
    services.evaluation_result_add(
        actor=None, cadre=target, year=2024, level=models.EvaluationLevel.GOOD, score=86
    )
    for i in range(5):
        CadreFactory(full_name=f"Lê Văn Thử {i}", unit=cao_lanh)
    CadreFactory(full_name="Nguyễn Thị Ngoài Phạm Vi", unit=hong_ngu)
    return {"user": user, "target": target}


def test_member_searches_opens_profile_and_switches_language(live_server, page, scene, output_dir):
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_test_id("login-submit")).to_have_text(re.compile("Đăng nhập"))

    page.fill("input[name=username]", "uyvien")
    page.fill("input[name=password]", PASSWORD)
    page.get_by_test_id("login-submit").click()

    expect(page.get_by_role("heading", name="Danh bạ cán bộ")).to_be_visible()
    page.fill("input[name=q]", "nguyen thi")  # without diacritics, as people type on phones
    page.get_by_test_id("directory-search").click()
    results = page.get_by_test_id("directory-results")
    expect(results).to_contain_text("Nguyễn Thị Thu Hà")
    expect(results).not_to_contain_text("Ngoài Phạm Vi")  # another district: out of scope
    expect(page.get_by_test_id("result-count")).to_contain_text("1")

    results.get_by_role("link", name="Nguyễn Thị Thu Hà").click()
    profile = page.get_by_test_id("cadre-profile")
    expect(profile).to_contain_text("Thành phố Cao Lãnh")
    expect(page.get_by_text("Trưởng Ban Dân vận Thành ủy")).to_be_visible()
    expect(page.get_by_text("Hoàn thành tốt nhiệm vụ")).to_be_visible()
    page.screenshot(path=str(output_dir / "journey-profile-vi.png"), full_page=True)

    page.get_by_test_id("lang-en").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_text("Positions held")).to_be_visible()
    expect(page.get_by_text("Well completed tasks")).to_be_visible()
    expect(profile).to_contain_text("Nguyễn Thị Thu Hà")
    page.screenshot(path=str(output_dir / "journey-profile-en.png"), full_page=True)


def test_directory_works_on_a_phone(live_server, phone, scene, output_dir, log_in):
    log_in(phone, "uyvien")
    expect(phone.get_by_role("heading", name="Danh bạ cán bộ")).to_be_visible()
    # No horizontal scrolling on a 390 px wide screen.
    overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    phone.get_by_role("link", name="Nguyễn Thị Thu Hà").click()
    expect(phone.get_by_test_id("cadre-profile")).to_be_visible()
    phone.screenshot(path=str(output_dir / "phone-profile.png"), full_page=True)


def test_out_of_scope_profile_is_a_friendly_404(live_server, page, scene, log_in):
    outsider = models.Cadre.objects.get(full_name="Nguyễn Thị Ngoài Phạm Vi")
    log_in(page, "uyvien")
    expect(page.get_by_role("heading", name="Danh bạ cán bộ")).to_be_visible()
    response = page.goto(f"{live_server.url}/personnel/cadres/{outsider.pk}/")
    assert response.status == 404
    expect(page.get_by_test_id("error-text")).to_contain_text("không thuộc phạm vi")
