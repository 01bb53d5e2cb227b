import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from rest_framework.test import APIClient

from villages import stars
from villages.models import StarAward, StarCondition, StarProposal, StarType
from villages.snapshots import tally_county
from villages.stats import data_versions


@pytest.fixture
def rules(tree):
    """Two test stars on the villages' own metrics, replacing the shipped defaults."""
    StarType.objects.all().delete()
    team = StarType.objects.create(code="team", name="班子星", star_set="village", position=1)
    StarCondition.objects.create(star_type=team, metric="villages.cadres_in_office", measure="numerator",
                                 comparison="gte", threshold=2, label="在任村干部", unit="人")  # fmt: skip
    shoulder = StarType.objects.create(code="shoulder", name="一肩挑星", star_set="village", position=2)
    StarCondition.objects.create(star_type=shoulder, metric="villages.one_shoulder", measure="rate",
                                 comparison="gte", threshold=1, label="一肩挑", unit="%")  # fmt: skip
    capstone = StarType.objects.create(code="cap", name="总星", star_set="village", position=3, capstone=True)
    StarCondition.objects.create(star_type=capstone, metric="villages.cadres_in_office", measure="numerator",
                                 comparison="gte", threshold=1, label="在任村干部", unit="人")  # fmt: skip
    return {"team": team, "shoulder": shoulder, "cap": capstone}


def _proposal(code, star, year=2026):
    return StarProposal.objects.get(division__code=code, year=year, star_type__code=star)


@pytest.mark.parametrize(("threshold", "earned"), [(1, True), (2, True), (3, False)])
def test_a_rule_at_its_threshold(tree, rules, threshold, earned):
    # 梁庄村 has two cadres in office: a threshold below, at and above that.
    StarCondition.objects.filter(star_type=rules["team"]).update(threshold=threshold)
    tally_county(county_code="411103000000", period="2026")
    proposal = _proposal("411103103201", "team")
    assert proposal.earned is earned
    reason = proposal.reasons[0]
    assert reason["value"] == "2人" and reason["met"] is earned
    assert proposal.summary.startswith("班子星: " + ("拟获得" if earned else "未获得"))
    if not earned:
        assert "在任村干部 2人 < 3人" in proposal.summary


def test_rate_reasons_show_numerator_and_denominator(tree, rules):
    tally_county(county_code="411103000000", period="2026")
    assert _proposal("411103103201", "shoulder").earned is True
    wang = _proposal("411103103202", "shoulder")
    assert wang.earned is False
    assert wang.reasons[0]["text"] == "一肩挑 0.0% (0/1) < 100.0%"


def test_a_capstone_needs_every_other_star(tree, rules):
    tally_county(county_code="411103000000", period="2026")
    assert _proposal("411103103201", "cap").earned is True  # holds team and shoulder
    wang = _proposal("411103103202", "cap")  # misses both
    assert wang.earned is False and "其余各星未全部获得" in wang.summary


def test_proposals_are_replaced_not_piled_up(tree, rules):
    tally_county(county_code="411103000000", period="2026")
    tally_county(county_code="411103000000", period="2026")
    assert StarProposal.objects.filter(division__code="411103103201", year=2026).count() == 3
    tally_county(county_code="411103000000", period="2026-05")  # months make no proposals
    assert StarProposal.objects.filter(year=2026).count() == 9


def test_a_repeated_tally_rewrites_only_the_proposals_that_changed(tree, rules, django_capture_on_commit_callbacks):
    first = tally_county(county_code="411103000000", period="2026")
    before = {(p.division.code, p.star_type.code): (p.pk, p.run_id) for p in StarProposal.objects.all()}
    assert len(before) == 9 and {run for _pk, run in before.values()} == {first.pk}
    versions = data_versions("411103000000")
    with django_capture_on_commit_callbacks(execute=True):
        tally_county(county_code="411103000000", period="2026")
    assert {(p.division.code, p.star_type.code): (p.pk, p.run_id) for p in StarProposal.objects.all()} == before
    county, everywhere = (int(v) for v in data_versions("411103000000").split("."))
    # Moved once, by the tally; the all-counties version not at all (no per-row signals).
    assert (county, everywhere) == (int(versions.split(".")[0]) + 1, int(versions.split(".")[1]))

    StarCondition.objects.filter(star_type=rules["team"]).update(threshold=3)  # 梁庄村 has 2 cadres
    third = tally_county(county_code="411103000000", period="2026")
    after = {(p.division.code, p.star_type.code): (p.pk, p.run_id, p.earned) for p in StarProposal.objects.all()}
    assert after.keys() == before.keys()
    changed = {k for k in after if after[k][:2] != before[k]}
    # 梁庄村 loses the team star, and with it the capstone; the other villages' reasons name the new threshold.
    assert ("411103103201", "team") in changed and ("411103103201", "cap") in changed
    assert ("411103103201", "shoulder") not in changed
    assert {after[k][1] for k in changed} == {third.pk}
    assert after[("411103103201", "team")][2] is False and after[("411103103201", "cap")][2] is False


def test_the_award_flow_by_role_and_scope(tree, rules):
    tally_county(county_code="411103000000", period="2026")
    u = tree.users
    village = tree.liangzhuang
    with pytest.raises(Http404):
        stars.star_apply(actor=u.township, village=tree.guolizhuang, year=2026, star_type=rules["team"])
    with pytest.raises(PermissionDenied):
        stars.star_apply(actor=u.county, village=village, year=2026, star_type=rules["team"])
    award = stars.star_apply(actor=u.village, village=village, year=2026, star_type=rules["team"], note="申请")
    assert award.proposed is True
    with pytest.raises(ValidationError):
        stars.star_apply(actor=u.village, village=village, year=2026, star_type=rules["team"])
    with pytest.raises(ValidationError):
        stars.star_county_decide(actor=u.county, award=award, award_star=True)  # the township comes first
    with pytest.raises(PermissionDenied):
        stars.star_township_review(actor=u.village, award=award, opinion="同意", support=True)
    stars.star_township_review(actor=u.township, award=award, opinion="同意上报", support=True)
    with pytest.raises(ValidationError) as err:
        stars.star_county_decide(actor=u.county, award=award, award_star=False)
    assert "decision_reason" in err.value.message_dict
    stars.star_county_decide(actor=u.county, award=award, award_star=True)
    award.refresh_from_db()
    assert award.decision == "confirm"
    stars.star_publish_notice(actor=u.county, award=award, start=datetime.date(2026, 11, 1))
    with pytest.raises(ValidationError):
        stars.star_confirm_award(actor=u.county, award=award, today=datetime.date(2026, 11, 3))
    stars.star_confirm_award(actor=u.county, award=award, today=datetime.date(2026, 11, 6))
    award.refresh_from_db()
    assert award.status == "awarded"
    assert award.history.count() == 5
    stars.star_remove(actor=u.county, award=award, reason="违纪")
    assert StarAward.objects.get(pk=award.pk).status == "removed"


def test_changing_the_proposal_needs_a_reason(tree, rules):
    tally_county(county_code="411103000000", period="2026")
    award = stars.star_apply(actor=tree.users.township, village=tree.wangzhuang, year=2026,
                             star_type=rules["shoulder"])  # fmt: skip
    assert award.proposed is False
    stars.star_township_review(actor=tree.users.township, award=award, opinion="支部工作突出", support=True)
    decided = stars.star_county_decide(actor=tree.users.county, award=award, award_star=True, reason="实地核查")
    assert decided.decision == "change" and decided.decision_reason == "实地核查"


def test_a_village_may_apply_before_the_data_proposed_anything(tree, rules):
    """No tally yet this year: the application has no proposal (None), and the county decides without one."""
    assert not StarProposal.objects.exists()
    award = stars.star_apply(actor=tree.users.village, village=tree.liangzhuang, year=2026, star_type=rules["team"])
    assert award.proposed is None
    stars.star_township_review(actor=tree.users.township, award=award, opinion="同意上报", support=True)
    decided = stars.star_county_decide(actor=tree.users.county, award=award, award_star=True)
    assert decided.decision == "confirm"


def test_stars_gained_and_removed_year_on_year(tree, rules):
    StarAward.objects.create(division=tree.liangzhuang, year=2025, star_type=rules["team"], status="awarded")
    StarAward.objects.create(division=tree.liangzhuang, year=2026, star_type=rules["shoulder"], status="awarded")
    rows = {r["star"].code: r["change"] for r in stars.village_stars(village=tree.liangzhuang, year=2026)}
    assert rows == {"team": "removed", "shoulder": "gained", "cap": ""}


def test_stars_api_counts_levels_and_types(tree, rules, django_assert_max_num_queries):
    tally_county(county_code="411103000000", period="2026")
    StarAward.objects.create(division=tree.liangzhuang, year=2026, star_type=rules["team"], status="awarded")
    api = APIClient()
    api.force_authenticate(tree.users.api)
    with django_assert_max_num_queries(8):
        body = api.get(reverse("stats-stars"), {"division": "411103000000", "year": 2026}).json()
    own = body["division"]
    assert own["villages"] == 3
    # 梁庄村 earns all three; 王庄村 and 郭栗庄村 (one cadre each, secretary not chair) none.
    assert own["proposed"]["by_level"] == {"0": 2, "1": 0, "2": 0, "3": 1, "4": 0, "5": 0}
    assert own["proposed"]["by_type"] == {"team": 1, "shoulder": 1, "cap": 1}
    assert own["awarded"]["by_level"]["1"] == 1 and own["awarded"]["by_type"] == {"team": 1}
    peicheng = next(c for c in body["children"] if c["code"] == "411103103000")
    assert peicheng["villages"] == 2 and peicheng["proposed"]["by_level"]["3"] == 1
    detail = api.get(reverse("stats-stars"), {"village": "411103103202", "year": 2026}).json()
    assert [s["code"] for s in detail["stars"]] == ["team", "shoulder", "cap"]
    assert detail["stars"][1]["proposed"] is False and detail["stars"][1]["reasons"][0]["met"] is False
    assert api.get(reverse("stats-stars"), {"division": "340827000000"}).status_code == 404
    assert api.get(reverse("stats-stars"), {"village": "340827100201"}).status_code == 404
    assert api.get(reverse("stats-stars"), {"division": "411103000000", "year": "26"}).status_code == 400


@pytest.mark.django_db
def test_default_rules_are_installed():
    assert StarType.objects.filter(star_set="village").count() == 5
    assert StarType.objects.filter(star_set="community").count() == 5
    assert StarCondition.objects.filter(star_type__code="safety_rule_of_law").count() == 5


def test_dashboard_panel_counts_villages_by_stars_and_type(client, tree, rules):
    tally_county(county_code="411103000000", period="2026")
    proposals = StarProposal.objects.filter(division__code__startswith="411103", year=2026, earned=True)
    direct_by_type = {code: proposals.filter(star_type__code=code).count() for code in ["team", "shoulder", "cap"]}
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=["411103000000"]), {"period": "2026"})
    panel = next(p for p in response.context["panels"] if p.get("id") == "stars-distribution")
    rows = {row[0]: row for row in panel["table"]["rows"]}
    for code, name in [("team", "班子星"), ("shoulder", "一肩挑星"), ("cap", "总星")]:
        if direct_by_type[code]:
            assert rows[name][3] == direct_by_type[code], name
    # Villages by number of proposed stars add up to the county's villages.
    level_rows = panel["table"]["rows"][:6]
    assert sum(row[3] for row in level_rows) == 3
    assert 'data-chart="stars-distribution"' in response.content.decode()
