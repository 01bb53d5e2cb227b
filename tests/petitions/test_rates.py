"""Each rate against a count made by hand on a small fixed set of cases and disputes.

All cases concern 江边村 (华阳镇, 望江县) and are handled by 华阳镇:

    case  received  decided        due (handling)     concluded  rated          other
    A     01-05     acc 01-10 ok   03-11              02-01 ok   satisfied      G repeats it
    B     01-10     acc 01-30 late 03-31              04-15 late basic
    C     02-01     acc 02-03 ok   04-04 +30 → 05-04  04-30 ok   dissatisfied   review asked 05-10
    D     03-01     refused 03-05
    E     03-10     —  (15 days passed: not timely)
    F     04-01     acc 04-02 ok   06-01 (passed)     —
    G     03-01     acc 03-02 ok   05-01              03-20 ok   — (a repeat of A)
    H     05-01     acc 05-02 ok   07-01              05-20 ok   —

plus a case of 2025 and a case in 郾城区, neither of which counts; disputes: 2026 one resolved, one being
mediated, one only screened; 2025 one resolved.
"""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from petitions import services
from petitions.choices import Decision, Delivery, ReviewResult, Satisfaction
from petitions.models import DeadlineRules
from petitions.tallies import SOURCE, parse_period, petition_rates
from tests.petitions.conftest import petitioner
from villages.metrics import Period, registry

D = datetime.date


@pytest.fixture
def fixed_set(tree, people, make_dispute, make_case):
    officer, handler = people.wj_officer, people.huayang

    def case(received, *, previous=None, person=None):
        return services.petition_register(
            actor=officer, registry_unit=tree.wj, division=tree.jiangbian, channel="letter", kind="demand",
            subject=f"诉求{received}", content="内容", received_on=received, previous=previous,
            petitioners=[person or petitioner(region="340827")],
        )  # fmt: skip

    def assign(c, on):
        return services.petition_assign(actor=officer, petition=c, unit=tree.huayang, on=on)

    def finish(c, concluded, delivered, satisfaction=None):
        c = services.petition_conclude(actor=handler, petition=c, decision=Decision.SUPPORT, decision_text="支持",
                                       on=concluded)  # fmt: skip
        c = services.petition_deliver(actor=handler, petition=c, method=Delivery.IN_PERSON, on=delivered)
        if satisfaction:
            c = services.petition_rate(actor=officer, petition=c, satisfaction=satisfaction, on=delivered)
        return c

    a_person = petitioner(region="340827")
    a = finish(assign(case(D(2026, 1, 5), person=a_person), D(2026, 1, 10)), D(2026, 2, 1), D(2026, 2, 2),
               Satisfaction.SATISFIED)  # fmt: skip
    finish(assign(case(D(2026, 1, 10)), D(2026, 1, 30)), D(2026, 4, 15), D(2026, 4, 16), Satisfaction.BASIC)
    c = assign(case(D(2026, 2, 1)), D(2026, 2, 3))
    c = services.petition_extend(actor=handler, petition=c, days=30, approved_by="镇长", reason="会商",
                                 notified_on=D(2026, 3, 20), on=D(2026, 3, 20))  # fmt: skip
    c = finish(c, D(2026, 4, 30), D(2026, 5, 1), Satisfaction.DISSATISFIED)
    services.petition_request_review(actor=officer, petition=c, on=D(2026, 5, 10))
    services.petition_refuse(actor=officer, petition=case(D(2026, 3, 1)), reason="不属于信访事项", on=D(2026, 3, 5))
    case(D(2026, 3, 10))
    assign(case(D(2026, 4, 1)), D(2026, 4, 2))
    finish(assign(case(D(2026, 3, 1), previous=a, person=a_person), D(2026, 3, 2)), D(2026, 3, 20), D(2026, 3, 21))
    finish(assign(case(D(2026, 5, 1)), D(2026, 5, 2)), D(2026, 5, 20), D(2026, 5, 21))
    # Neither of these counts: another year, another county.
    finish(assign(case(D(2025, 6, 1)), D(2025, 6, 2)), D(2025, 6, 20), D(2025, 6, 21), Satisfaction.SATISFIED)
    make_case("rated", where="yc")
    make_dispute("resolved", screened_on=D(2026, 2, 1))
    make_dispute("mediating", screened_on=D(2026, 6, 1))
    make_dispute("screened", screened_on=D(2026, 7, 1))
    make_dispute("resolved", screened_on=D(2025, 7, 1))


HAND_COUNT_2026 = {
    "timely_acceptance": (6, 8),
    "on_time_completion": (4, 6),
    "completion": (5, 6),
    "dispute_resolution": (1, 3),
    "first_time_resolution": (1, 4),
    "participation": (3, 4),
    "satisfaction": (2, 3),
}
HAND_COUNT_MARCH = {
    "timely_acceptance": (2, 3),
    "on_time_completion": (1, 2),
    "completion": (1, 1),
    "dispute_resolution": (0, 0),
    "first_time_resolution": (0, 0),
    "participation": (0, 0),
    "satisfaction": (0, 0),
}


def _pairs(rates):
    return {key: (r["numerator"], r["denominator"]) for key, r in rates.items()}


def test_each_rate_matches_the_hand_count_for_the_year(tree, fixed_set):
    result = petition_rates(division=tree.wj, period=parse_period("2026"))
    assert _pairs(result["rates"]) == HAND_COUNT_2026
    assert result["rates"]["timely_acceptance"]["rate"] == 0.75
    assert result["rates"]["on_time_completion"]["rate"] == 0.6667
    assert all(r["definition"] for r in result["rates"].values())
    (huayang,) = result["children"]
    assert (huayang["division"], huayang["name"]) == (tree.huayang.code, "华阳镇")
    assert _pairs(huayang["rates"]) == HAND_COUNT_2026
    village = petition_rates(division=tree.jiangbian, period=parse_period("2026"))
    assert village["children"] == []
    # A village is not a handling unit: nothing is credited to it.
    expected = {key: (0, 0) if SOURCE[key] == "credited" else pair for key, pair in HAND_COUNT_2026.items()}
    assert _pairs(village["rates"]) == expected
    assert village["rates"]["satisfaction"]["rate"] is None


def test_each_rate_matches_the_hand_count_for_a_month(tree, fixed_set):
    result = petition_rates(division=tree.wj, period=parse_period("2026-03"))
    assert _pairs(result["rates"]) == HAND_COUNT_MARCH
    assert result["rates"]["satisfaction"]["rate"] is None
    assert (result["start"], result["end"]) == (D(2026, 3, 1), D(2026, 3, 31))


def test_basically_satisfied_counts_only_where_the_county_says_so(tree, fixed_set):
    DeadlineRules.objects.create(division=tree.wj, satisfaction_counts_basic=False)
    rates = petition_rates(division=tree.wj, period=parse_period("2026"))["rates"]
    assert _pairs(rates)["satisfaction"] == (1, 3)
    assert _pairs(rates)["first_time_resolution"] == (0, 4)
    assert "满意 only" in rates["satisfaction"]["definition"] or "仅" in rates["satisfaction"]["definition"]
    # 郾城区 keeps the default.
    assert petition_rates(division=tree.yc, period=parse_period("2026"))["rates"]["satisfaction"]["numerator"] == 1


def test_the_rates_take_three_queries_and_a_fourth_for_the_children(tree, fixed_set, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        petition_rates(division=tree.wj, period=parse_period("2026"))


def test_the_metrics_of_the_tally_give_the_same_figures_per_level(tree, fixed_set):
    metrics = registry()
    period = Period.parse("2026")
    for key, (numerator, denominator) in HAND_COUNT_2026.items():
        figures = metrics[f"petitions.{key}"].compute(tree.wj, period)
        county, township = figures[tree.wj.code], figures[tree.huayang.code]
        assert (county.numerator, county.denominator) == (numerator, denominator), key
        assert (township.numerator, township.denominator) == (numerator, denominator), key
        village = figures.get(tree.jiangbian.code)
        if key in {"first_time_resolution", "participation", "satisfaction"}:
            assert village is None, key  # credited to the township that handled the cases
        else:
            assert (village.numerator, village.denominator) == (numerator, denominator), key
    overdue = metrics["petitions.overdue"].compute(tree.wj, period)
    assert overdue[tree.wj.code].numerator == 3  # B handled late, E never decided, F past its deadline
    assert metrics["petitions.level_skipping"].compute(tree.wj, period) == {}


def test_a_township_case_counts_for_the_township_not_as_a_village(tree, people):
    """A case about the township itself counts at the township, and the township's total keeps its villages'."""
    for place in (tree.huayang, tree.jiangbian):
        services.petition_register(
            actor=people.wj_officer, registry_unit=tree.wj, division=place, channel="visit", kind="demand",
            subject=f"诉求{place.code}", content="内容", received_on=D(2026, 3, 1),
            petitioners=[petitioner(region="340827")],
        )  # fmt: skip
    figures = registry()["petitions.timely_acceptance"].compute(tree.wj, Period.parse("2026"))
    assert figures[tree.huayang.code].denominator == 2
    assert figures[tree.jiangbian.code].denominator == 1
    assert figures[tree.wj.code].denominator == 2


def test_the_stats_api_serves_the_hand_count(tree, fixed_set):
    api = APIClient()
    api.force_authenticate(tree.users.petition)
    response = api.get(reverse("stats-petitions"), {"division": tree.wj.code, "period": "2026"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"division", "period", "rates", "children"}
    assert (body["division"], body["period"]) == (tree.wj.code, "2026")
    assert list(body["rates"]) == list(HAND_COUNT_2026)
    assert body["rates"]["completion"] == {
        "numerator": 5, "denominator": 6, "rate": 0.8333, "definition": body["rates"]["completion"]["definition"]
    }  # fmt: skip
    assert body["children"][0]["division"] == tree.huayang.code
    for bad in ("2026-13", "26", "this year"):
        response = api.get(reverse("stats-petitions"), {"division": tree.wj.code, "period": bad})
        assert response.status_code == 400 and "period" in response.json()
    assert api.get(reverse("stats-petitions"), {"period": "2026"}).status_code == 400
    assert api.get(reverse("stats-petitions"), {"division": tree.yc.code}).status_code == 404


def test_review_result_does_not_change_the_first_handling_rates(tree, fixed_set, people):
    """Answering C's review leaves the first-time figures as they were: they judge the first handling."""
    from petitions.models import Petition

    case = Petition.objects.get(review_requested_on__isnull=False)
    before = _pairs(petition_rates(division=tree.wj, period=parse_period("2026"))["rates"])
    services.petition_answer_review(actor=people.wj_officer, petition=case, result=ReviewResult.UPHELD, text="维持",
                                    reviewing_body="望江县信访局", on=D(2026, 6, 1))  # fmt: skip
    assert _pairs(petition_rates(division=tree.wj, period=parse_period("2026"))["rates"]) == before
