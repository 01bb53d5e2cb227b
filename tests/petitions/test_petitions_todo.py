"""The petitions' items in the to-do lists (petitions.todo): each case is on the list of whoever the services'
guards open its next step to, by its legal clock (acceptance due within 3 days and handling within 7 are due
soon; past the deadline, overdue), and leaves it once the step is taken."""

import datetime

from petitions import services
from tests.petitions.conftest import START
from villages.todo import Urgency, todo_items


def mine(user, today):
    return {r["key"]: (r["kind"], r["urgency"]) for r in todo_items(user, today=today) if r["kind"].startswith("pet")}


def test_a_registered_case_is_the_petition_offices_to_take_in_by_its_clock(tree, people, make_case):
    case = make_case("registered")
    key = f"petition-{case.pk}"
    assert mine(people.wj_officer, START)[key] == ("petitions.accept", Urgency.OPEN)
    assert mine(people.wj_officer, case.acceptance_due - datetime.timedelta(days=3))[key][1] == Urgency.SOON
    assert mine(people.wj_officer, case.acceptance_due + datetime.timedelta(days=1))[key][1] == Urgency.OVERDUE
    assert key not in mine(people.huayang, START)  # not the township's step
    for user in (people.yc_officer, tree.users.county, tree.users.township, tree.users.village):
        assert key not in mine(user, START)  # another county's case never appears


def test_taken_on_the_case_moves_to_the_handling_unit_then_back_for_the_return_visit(tree, people, make_case):
    case = make_case("handling")
    key = f"petition-{case.pk}"
    today = case.handling_due - datetime.timedelta(days=10)
    assert key not in mine(people.wj_officer, today)
    assert mine(people.huayang, today)[key] == ("petitions.conclude", Urgency.OPEN)
    assert mine(people.huayang, case.handling_due - datetime.timedelta(days=7))[key][1] == Urgency.SOON

    delivered = make_case("delivered")
    key = f"petition-{delivered.pk}"
    assert mine(people.huayang, START + datetime.timedelta(days=30))[key][0] == "petitions.return_visit"
    assert mine(people.wj_officer, START + datetime.timedelta(days=30))[key][0] == "petitions.return_visit"
    visited = make_case("visited")
    assert f"petition-{visited.pk}" not in mine(people.huayang, START + datetime.timedelta(days=40))


def test_a_review_request_is_the_county_petition_offices_to_answer(tree, people, make_case):
    case = make_case("review")
    assert mine(people.wj_officer, START + datetime.timedelta(days=30))[f"petition-{case.pk}"][0] == (
        "petitions.review_answer"
    )
    assert f"petition-{case.pk}" not in mine(people.huayang, START + datetime.timedelta(days=30))


def test_an_overdue_case_is_the_county_officials_to_supervise(tree, people, make_case):
    case = make_case("handling", where="yc")
    late = case.handling_due + datetime.timedelta(days=2)
    assert f"petition-{case.pk}" not in mine(tree.users.county, case.handling_due)
    assert mine(tree.users.county, late)[f"petition-{case.pk}"] == ("petitions.supervise", Urgency.OVERDUE)
    services.petition_conclude(
        actor=people.peicheng, petition=case, decision="support", decision_text="支持", on=case.handling_due
    )
    assert f"petition-{case.pk}" not in mine(tree.users.county, late)


def test_the_list_reads_a_constant_number_of_queries(tree, people, make_case, django_assert_max_num_queries):
    make_case("registered")
    with django_assert_max_num_queries(12) as small:
        todo_items(people.wj_officer, today=START)
    for _ in range(4):
        make_case("registered")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(mine(people.wj_officer, START)) == 5
