"""Petitions on the dashboard: the received count by channel and kind equals a direct count; the panels read the
snapshots (rates over months, channels and kinds with figures per village and per 1,000 households); the
portrait's section; the tally command for one county and period."""

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from petitions.choices import Channel, Kind
from petitions.models import Petition
from villages.metrics import Period
from villages.models import Snapshot, TallyRun
from villages.snapshots import tally_county

YC = "411103000000"


@pytest.fixture
def cases(tree, make_case):
    """Four cases in 郾城区 in March 2026 (three about 梁庄村, one about 郭栗庄村), one in April."""
    march = datetime.date(2026, 3, 2)
    make_case("registered", where="yc", received_on=march, channel=Channel.LETTER, kind=Kind.SUGGESTION)
    make_case("handling", where="yc", received_on=march, channel=Channel.VISIT, kind=Kind.DEMAND)
    make_case("concluded", where="yc", received_on=march, channel=Channel.VISIT, kind=Kind.DEMAND)
    make_case("registered", where="yc_out", received_on=march, channel=Channel.ONLINE, kind=Kind.ACCUSATION)
    make_case("registered", where="yc", received_on=datetime.date(2026, 4, 1), channel=Channel.PHONE)


def _direct(prefix, period_start, period_end):
    rows = [
        p
        for p in Petition.objects.select_related("division")
        if p.division.code.startswith(prefix) and period_start <= p.received_on < period_end
    ]
    counts = {"n": len(rows)}
    counts |= {f"channel_{c}": sum(1 for p in rows if p.channel == c) for c in Channel.values}
    counts |= {f"kind_{k}": sum(1 for p in rows if p.kind == k) for k in Kind.values}
    return counts


@pytest.mark.parametrize("period", ["2026-03", "2026-Q1", "2026"])
def test_received_by_channel_and_kind_equals_a_direct_count(tree, cases, period):
    tally_county(county_code=YC, period=period)
    bounds = {
        "2026-03": (datetime.date(2026, 3, 1), datetime.date(2026, 4, 1)),
        "2026-Q1": (datetime.date(2026, 1, 1), datetime.date(2026, 4, 1)),
        "2026": (datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
    }[period]
    for code in [YC, tree.peicheng.code, tree.shangqiao.code, tree.liangzhuang.code]:
        s = Snapshot.objects.get(division_code=code, period=period, metric="petitions.received")
        expected = _direct(code.rstrip("0") if code != YC else "411103", *bounds)
        assert s.numerator == expected.pop("n"), code
        assert s.inputs == expected, code


def test_panels_read_the_snapshots_with_figures_per_village(client, tree, cases):
    for period in ["2026", "2026-03", "2026-02"]:
        tally_county(county_code=YC, period=period)
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=[YC]), {"period": "2026"})
    panels = {p["id"]: p for p in response.context["panels"]}
    channels = panels["petitions-channels"]
    by_name = {row[0]: row for row in channels["table"]["rows"]}
    # 裴城镇: 4 cases about 梁庄村 over 2 villages → 2 per village; 商桥镇: 1 over 1 village.
    assert by_name["裴城镇"][1:3] == [4, 2.0]
    assert by_name["商桥镇"][1:3] == [1, 1.0]
    rates = panels["petitions-rates"]
    assert rates["chart"]["xAxis"]["data"][-1] == "2026-12"
    assert len(rates["chart"]["xAxis"]["data"]) == 12
    page = response.content.decode()
    assert 'data-chart="petitions-channels"' in page and "<script>" not in page


def test_portrait_section_lists_the_villages_cases(client, tree, cases):
    tally_county(county_code=YC, period=Period.current_year().key)
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=[tree.liangzhuang.code]))
    section = next(s for s in response.context["portrait"] if s.get("id") == "portrait-petitions")
    assert len(section["table"]["rows"]) == 4  # the village's four cases, newest first
    # A village secretary does not read petitions (only disputes): no petition row, no leak.
    client.force_login(tree.users.village)
    response = client.get(reverse("villages:division", args=[tree.liangzhuang.code]))
    section = next(s for s in response.context["portrait"] if s.get("id") == "portrait-petitions")
    assert section["table"]["rows"] == []


def test_tally_command_runs_one_county_and_period(tree):
    call_command("tally", division=tree.liangzhuang.code, period="2026-Q3")
    assert list(TallyRun.objects.values_list("county__code", "period", "status")) == [(YC, "2026-Q3", "succeeded")]
    with pytest.raises(CommandError):
        call_command("tally", period="2026-Q5")
    with pytest.raises(CommandError):
        call_command("tally", division="999999000000")
