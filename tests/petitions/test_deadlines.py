"""Deadlines: calendar days, the start day not counted, dates in Asia/Shanghai; at month and year ends and
across an extension; every number configurable per county."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from petitions import services
from petitions.choices import Decision, Delivery
from petitions.models import DeadlineRules
from tests.petitions.conftest import petitioner

D = datetime.date
UTC = datetime.UTC


def register(tree, people, received_on, **kwargs):
    kwargs.setdefault("petitioners", [petitioner(region="340827")])
    return services.petition_register(
        actor=people.wj_officer, registry_unit=tree.wj, division=tree.jiangbian, channel="visit", kind="demand",
        subject="宅基地边界争议", content="要求确权", received_on=received_on, **kwargs,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (D(2026, 1, 31), D(2026, 2, 15)),  # January's end into February
        (D(2026, 2, 14), D(2026, 3, 1)),  # through the end of a 28-day February
        (D(2024, 2, 14), D(2024, 2, 29)),  # a leap year's February 29th
        (D(2025, 12, 20), D(2026, 1, 4)),  # across the year's end
        (D(2025, 12, 31), D(2026, 1, 15)),  # received on New Year's Eve
    ],
)
def test_acceptance_deadline_is_fifteen_calendar_days(tree, people, received, due):
    case = register(tree, people, received)
    assert case.acceptance_due == due
    assert case.due_on == due


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        (D(2025, 12, 15), D(2026, 2, 13)),  # sixty days across the year's end
        (D(2026, 1, 31), D(2026, 4, 1)),  # from a month's last day
        (D(2025, 11, 1), D(2025, 12, 31)),  # to the year's last day
    ],
)
def test_handling_deadline_is_sixty_days_after_acceptance(tree, people, accepted, due):
    case = register(tree, people, accepted - datetime.timedelta(days=3))
    case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang, on=accepted)
    assert case.handling_due == due
    assert case.due_on == due


def test_an_extension_moves_the_deadline_across_the_year_end(tree, people):
    case = register(tree, people, D(2025, 11, 18))
    case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang, on=D(2025, 11, 20))
    assert case.handling_due == D(2026, 1, 19)
    case = services.petition_extend(
        actor=people.huayang, petition=case, days=30, approved_by="华阳镇镇长", reason="需要第三方鉴定",
        notified_on=D(2026, 1, 12), on=D(2026, 1, 10),
    )  # fmt: skip
    assert case.handling_due == D(2026, 2, 18)
    assert case.due_on == D(2026, 2, 18)
    assert case.extension_days == 30
    # Concluded after the original deadline but within the extended one: on time.
    case = services.petition_conclude(
        actor=people.huayang, petition=case, decision=Decision.SUPPORT, decision_text="支持", on=D(2026, 2, 18)
    )
    assert case.concluded_on <= case.handling_due


def test_one_extension_of_at_most_thirty_days_before_the_deadline(tree, people):
    case = register(tree, people, D(2026, 1, 2))
    case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang, on=D(2026, 1, 5))
    extension = {"approved_by": "镇长", "reason": "需会商", "notified_on": D(2026, 2, 1)}
    with pytest.raises(ValidationError) as err:
        services.petition_extend(actor=people.huayang, petition=case, days=31, on=D(2026, 2, 1), **extension)
    assert set(err.value.message_dict) == {"days"}
    with pytest.raises(ValidationError) as err:  # the deadline (6 March) has already passed
        services.petition_extend(actor=people.huayang, petition=case, days=10, on=D(2026, 3, 7), **extension)
    assert "on" in err.value.message_dict
    case = services.petition_extend(actor=people.huayang, petition=case, days=10, on=D(2026, 2, 1), **extension)
    with pytest.raises(ValidationError) as err:  # only once
        services.petition_extend(actor=people.huayang, petition=case, days=5, on=D(2026, 2, 2), **extension)
    assert err.value.code == "state"
    case.refresh_from_db()
    assert case.handling_due == D(2026, 3, 16)


def test_review_windows_are_thirty_days_each(tree, people):
    case = register(tree, people, D(2025, 10, 20))
    case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang, on=D(2025, 10, 22))
    case = services.petition_conclude(
        actor=people.huayang, petition=case, decision=Decision.EXPLAIN, decision_text="解释", on=D(2025, 12, 10)
    )
    case = services.petition_deliver(actor=people.huayang, petition=case, method=Delivery.POST, on=D(2025, 12, 15))
    assert case.appeal_until == D(2026, 1, 14)
    with pytest.raises(ValidationError) as err:
        services.petition_request_review(actor=people.wj_officer, petition=case, on=D(2026, 1, 15))
    assert "2026-01-14" in err.value.message_dict["on"][0]
    case = services.petition_request_review(actor=people.wj_officer, petition=case, on=D(2026, 1, 14))
    assert case.review_due == D(2026, 2, 13)
    assert case.due_on == D(2026, 2, 13)


def _at(year, month, day, hour, minute):
    return mock.patch("django.utils.timezone.now", return_value=datetime.datetime(year, month, day, hour, minute,
                                                                                    tzinfo=UTC))  # fmt: skip


def test_today_is_the_day_in_shanghai_at_the_month_end(tree, people):
    case = register(tree, people, D(2026, 3, 20))
    # 16:30 UTC on 31 March is 00:30 on 1 April in Shanghai: the case is taken on on 1 April.
    with _at(2026, 3, 31, 16, 30):
        assert timezone.localdate() == D(2026, 4, 1)
        case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang)
    assert case.accepted_on == D(2026, 4, 1)
    assert case.handling_due == D(2026, 5, 31)


def test_today_is_the_day_in_shanghai_at_the_year_end(tree, people):
    case = register(tree, people, D(2025, 12, 20))
    with _at(2025, 12, 31, 15, 59):  # 23:59 on New Year's Eve in Shanghai
        case = services.petition_accept(actor=people.wj_officer, petition=case)
    assert case.accepted_on == D(2025, 12, 31)
    assert case.handling_due == D(2026, 3, 1)


def test_overdue_turns_at_shanghai_midnight(tree, people):
    case = register(tree, people, D(2025, 12, 17))
    assert case.acceptance_due == D(2026, 1, 1)
    with _at(2026, 1, 1, 15, 59):  # 23:59 on the deadline
        assert not case.is_overdue()
    with _at(2026, 1, 1, 16, 0):  # 00:00 the next day
        assert case.is_overdue()


def test_a_step_cannot_be_dated_in_the_future_or_before_the_step_it_follows(tree, people):
    case = register(tree, people, D(2026, 3, 10))
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as err:
        services.petition_accept(actor=people.wj_officer, petition=case, on=tomorrow)
    assert "on" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.petition_accept(actor=people.wj_officer, petition=case, on=D(2026, 3, 9))
    assert "on" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        register(tree, people, tomorrow)
    assert "received_on" in err.value.message_dict


def test_every_number_is_the_countys_to_set(tree, people):
    DeadlineRules.objects.create(
        division=tree.wj, acceptance_days=10, handling_days=30, max_extension_days=15, review_request_days=20,
        review_answer_days=25, max_representatives=3,
    )  # fmt: skip
    case = register(tree, people, D(2026, 1, 25))
    assert case.acceptance_due == D(2026, 2, 4)
    case = services.petition_assign(actor=people.wj_officer, petition=case, unit=tree.huayang, on=D(2026, 1, 31))
    assert case.handling_due == D(2026, 3, 2)
    with pytest.raises(ValidationError) as err:
        services.petition_extend(
            actor=people.huayang, petition=case, days=20, approved_by="镇长", reason="会商",
            notified_on=D(2026, 2, 20), on=D(2026, 2, 20),
        )  # fmt: skip
    assert "15" in err.value.message_dict["days"][0]
    case = services.petition_conclude(
        actor=people.huayang, petition=case, decision=Decision.SUPPORT, decision_text="支持", on=D(2026, 2, 20)
    )
    case = services.petition_deliver(actor=people.huayang, petition=case, method=Delivery.POST, on=D(2026, 2, 21))
    assert case.appeal_until == D(2026, 3, 13)
    case = services.petition_request_review(actor=people.wj_officer, petition=case, on=D(2026, 3, 1))
    assert case.review_due == D(2026, 3, 26)
    with pytest.raises(ValidationError) as err:
        register(tree, people, D(2026, 3, 1), is_group=True, group_size=30,
                 petitioners=[petitioner(name=f"代表{i}", region="340827") for i in range(4)])  # fmt: skip
    assert "3" in " ".join(err.value.message_dict["petitioners"])


def test_another_countys_rules_do_not_apply(tree, people):
    DeadlineRules.objects.create(division=tree.yc, acceptance_days=5)
    assert register(tree, people, D(2026, 1, 1)).acceptance_due == D(2026, 1, 16)
