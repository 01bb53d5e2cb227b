"""The county's sample for its re-diagnosis: drawn by a stated rule and a recorded seed, so anyone re-running it
gets the same villages."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from reviews import services
from reviews.choices import Stage
from reviews.models import Review, ReviewLevel, SampleDraw
from reviews.sampling import draw_sample, sample_sizes

# Three townships of 10, 4 and 1 villages.
CODES = (
    [f"411103101{200 + i:03d}" for i in range(10)] + [f"411103102{200 + i:03d}" for i in range(4)] + ["411103103201"]
)


def test_same_rule_and_seed_give_the_same_villages():
    first = draw_sample(CODES, share=Decimal("0.2"), minimum=1, seed=20211108)
    shuffled = list(CODES)
    random.Random(1).shuffle(shuffled)  # noqa: S311 - the order the villages come in does not matter
    assert draw_sample(shuffled, share=Decimal("0.2"), minimum=1, seed=20211108) == first
    others = {tuple(draw_sample(CODES, share=Decimal("0.2"), minimum=1, seed=s)) for s in range(20)}
    assert len(others) > 1


def test_the_documented_procedure_reproduces_the_draw():
    # What the rule text tells anyone to do, written out by hand.
    rng = random.Random(42)  # noqa: S311 - the draw's own generator, as the rule states it
    expected = []
    for township in ["411103101", "411103102", "411103103"]:
        villages = sorted(c for c in CODES if c.startswith(township))
        k = {"411103101": 2, "411103102": 1, "411103103": 1}[township]
        expected += rng.sample(villages, k)
    assert draw_sample(CODES, share=Decimal("0.2"), minimum=1, seed=42) == sorted(expected)


def test_sizes_round_up_with_a_minimum_and_never_exceed_the_township():
    assert sample_sizes(CODES, share=Decimal("0.2"), minimum=1) == {"411103101": 2, "411103102": 1, "411103103": 1}
    assert sample_sizes(CODES, share=Decimal("0.25"), minimum=0) == {"411103101": 3, "411103102": 1, "411103103": 1}
    assert sample_sizes(CODES, share=Decimal("0.1"), minimum=3) == {"411103101": 3, "411103102": 3, "411103103": 1}


def test_the_service_records_the_draw_and_opens_county_levels(tree, campaign):
    draw = services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal("0.5"), minimum=1, seed=99)
    codes = [r.village.code for r in campaign.reviews.select_related("village")]
    assert draw.drawn_codes == draw_sample(codes, share=Decimal("0.5"), minimum=1, seed=99)
    assert "random.Random(99)" in draw.rule and "50%" in draw.rule
    assert draw.drawn_by == tree.users.county
    assert sorted(Review.objects.filter(sampled=True).values_list("village__code", flat=True)) == draw.drawn_codes
    assert ReviewLevel.objects.filter(level=Stage.COUNTY).count() == len(draw.drawn_codes)
    assert services.sample_verify(draw)


def test_a_seed_is_drawn_and_recorded_when_none_is_given(tree, campaign):
    draw = services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal("0.3"))
    assert draw.seed is not None
    assert services.sample_verify(SampleDraw.objects.get(pk=draw.pk))


def test_a_campaign_is_sampled_once(tree, campaign):
    services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal("0.3"), seed=1)
    with pytest.raises(ValidationError, match="already been drawn"):
        services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal("0.3"), seed=2)
    assert SampleDraw.objects.count() == 1


@pytest.mark.parametrize("share", [Decimal(0), Decimal("1.5"), Decimal("-0.1")])
def test_bad_rules_are_refused(tree, campaign, share):
    with pytest.raises(ValidationError) as exc:
        services.sample_draw(actor=tree.users.county, campaign=campaign, share=share, seed=1)
    assert set(exc.value.message_dict) == {"share"}
    assert not SampleDraw.objects.exists() and not ReviewLevel.objects.filter(level=Stage.COUNTY).exists()


def test_only_the_county_draws(tree, more_users, campaign):
    with pytest.raises(PermissionDenied):
        services.sample_draw(actor=tree.users.township, campaign=campaign, share=Decimal("0.3"), seed=1)
    with pytest.raises(Http404):
        services.sample_draw(actor=more_users.wj_county, campaign=campaign, share=Decimal("0.3"), seed=1)
