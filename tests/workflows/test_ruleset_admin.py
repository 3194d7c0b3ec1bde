import pytest

from personnel.audit.actions import Action
from personnel.audit.models import AuditEvent
from tests.factories import UserFactory
from workflows.core.models import RuleSet

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_rule_set_in_use_is_read_only_in_admin(admin_client):
    ruleset = RuleSet.objects.get(code="qd377-2025")
    RuleSet.objects.filter(pk=ruleset.pk).update(in_use=True)
    url = f"/admin/core/ruleset/{ruleset.pk}/change/"
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    # PermissionDenied renders as 404 here (config.views.permission_denied).
    assert admin_client.post(url, {"title": "x"}).status_code == 404
    ruleset.refresh_from_db()
    assert ruleset.title.startswith("Quy định 377")


def test_new_version_action_copies_parameters_and_is_audited(admin_client):
    ruleset = RuleSet.objects.get(code="qd80-2022")
    response = admin_client.post(
        "/admin/core/ruleset/", {"action": "new_version", "_selected_action": [ruleset.pk]}
    )
    assert response.status_code == 302
    new = RuleSet.objects.get(code="qd80-2022", version=2)
    assert new.parameters.count() == ruleset.parameters.count()
    assert not new.in_use
    assert AuditEvent.objects.filter(action=Action.RULESET_CREATE, target_id=str(new.pk)).exists()


def test_bad_parameter_value_is_a_form_error(admin_client):
    ruleset = RuleSet.objects.get(code="nd170-2025")
    parameters = list(ruleset.parameters.order_by("pk"))
    data = {
        "code": ruleset.code,
        "version": ruleset.version,
        "title": ruleset.title,
        "track": ruleset.track,
        "citation": ruleset.citation,
        "effective_from": ruleset.effective_from.isoformat(),
        "parameters-TOTAL_FORMS": str(len(parameters)),
        "parameters-INITIAL_FORMS": str(len(parameters)),
        "parameters-MIN_NUM_FORMS": "0",
        "parameters-MAX_NUM_FORMS": "1000",
    }
    import json

    for i, p in enumerate(parameters):
        value = json.dumps(p.value)
        if p.key == "quorum":
            value = json.dumps({"numerator": 3, "denominator": 2})
        data.update(
            {
                f"parameters-{i}-id": p.pk,
                f"parameters-{i}-ruleset": ruleset.pk,
                f"parameters-{i}-key": p.key,
                f"parameters-{i}-value": value,
                f"parameters-{i}-citation": p.citation,
                f"parameters-{i}-unverified": "on" if p.unverified else "",
                f"parameters-{i}-note": p.note,
            }
        )
    response = admin_client.post(f"/admin/core/ruleset/{ruleset.pk}/change/", data)
    assert response.status_code == 200
    assert ruleset.parameters.get(key="quorum").value == {"numerator": 2, "denominator": 3}
