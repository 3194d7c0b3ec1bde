"""Ad hoc evaluations ("when necessary", QĐ 366-QĐ/TW 2025): an occasion is named, the campaign
may be limited to some cadres, it never collides with the periodic campaigns, and a cadre's
record may hold several in one year."""

import pytest
from django.core.exceptions import ValidationError

from personnel.models import EvaluationPeriod, EvaluationResult
from tests.workflows.evaluation import kit
from tests.workflows.evaluation.kit import COMPLETED, GOOD
from workflows.core.errors import Invalid
from workflows.evaluation import services
from workflows.evaluation.models import EvaluationCampaign, Subject

pytestmark = pytest.mark.django_db

OCCASION = "Xem xét bổ nhiệm lại"


@pytest.fixture
def world(province, district_a):
    return kit.build_world(province, district_a)


def _ad_hoc(world, **kwargs):
    kwargs.setdefault("title", "Đánh giá đột xuất")
    kwargs.setdefault("occasion", OCCASION)
    return kit.open_campaign(world, period=EvaluationPeriod.AD_HOC, **kwargs)


def _publish_one(world, campaign, cadre, level):
    """Decide the campaign's only evaluation, ``cadre``'s, and publish."""
    kit.decide(
        kit.propose(world, kit.evaluation_of(campaign, cadre), level),
        level,
        actor=world.district_chair,
    )
    return services.campaign_publish(actor=world.staff, campaign=campaign)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": EvaluationPeriod.AD_HOC}, "Say why this ad hoc evaluation is held"),
        ({"period": EvaluationPeriod.YEAR, "occasion": OCCASION}, "for ad hoc evaluations only"),
        ({"period": EvaluationPeriod.YEAR, "cadres": []}, "Only an ad hoc evaluation"),
        ({"period": EvaluationPeriod.AD_HOC, "occasion": OCCASION, "cadres": []}, "Choose the"),
    ],
)
def test_the_occasion_and_the_cadres_belong_to_ad_hoc_evaluations(world, kwargs, message):
    with pytest.raises(Invalid, match=message):
        kit.open_campaign(world, title="Đánh giá", **kwargs)
    assert not EvaluationCampaign.objects.exists()


def test_an_ad_hoc_evaluation_may_be_limited_to_some_cadres(world, district_b):
    chosen = world.cadres[0]
    campaign = _ad_hoc(world, cadres=[chosen])
    assert campaign.period_label == f"Ad hoc, 2026: {OCCASION}"
    evaluations = list(campaign.evaluations.all())
    assert [(e.subject, e.cadre_id) for e in evaluations] == [(Subject.INDIVIDUAL, chosen.pk)]
    stranger = kit.cadre(district_b)
    with pytest.raises(Invalid, match="Not working in the units evaluated"):
        _ad_hoc(world, cadres=[chosen, stranger])


def test_ad_hoc_evaluations_neither_collide_with_the_year_nor_with_each_other(world):
    cadre = world.cadres[0]
    year = kit.open_campaign(world)  # the whole district for 2026
    first = _ad_hoc(world, cadres=[cadre])
    _publish_one(world, first, cadre, GOOD)
    # a second occasion the same year, after the first was published
    second = _ad_hoc(world, cadres=[cadre], occasion="Xem xét điều động")
    _publish_one(world, second, cadre, COMPLETED)
    results = EvaluationResult.objects.filter(cadre=cadre).order_by("pk")
    assert [(r.period, r.year, r.occasion, r.level) for r in results] == [
        (EvaluationPeriod.AD_HOC, 2026, OCCASION, GOOD),
        (EvaluationPeriod.AD_HOC, 2026, "Xem xét điều động", COMPLETED),
    ]
    # the annual campaign still evaluates the cadre: ad hoc results don't count as the year's
    assert year.evaluations.filter(cadre=cadre).exists()


def test_the_record_keeps_the_occasion_rules(world):
    cadre = world.cadres[0]
    with pytest.raises(ValidationError):
        EvaluationResult(
            cadre=cadre, period=EvaluationPeriod.AD_HOC, year=2026, level=GOOD
        ).full_clean()
    with pytest.raises(ValidationError):
        EvaluationResult(
            cadre=cadre, period=EvaluationPeriod.YEAR, year=2026, level=GOOD, occasion="x"
        ).full_clean()
    EvaluationResult.objects.create(
        cadre=cadre, period=EvaluationPeriod.YEAR, year=2026, level=GOOD
    )
    with pytest.raises(ValidationError, match="already has a result for that period"):
        EvaluationResult(
            cadre=cadre, period=EvaluationPeriod.YEAR, year=2026, level=COMPLETED
        ).full_clean()
