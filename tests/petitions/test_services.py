"""The services: every step allowed and refused by role, scope and state; registration checked field by field;
repeats found and linked; the "not accepted again" rule after 复核; nothing saved on bad input."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from petitions import selectors, services
from petitions.choices import Decision, Delivery, DisputeStatus, Intake, ReviewResult, Satisfaction, Status
from petitions.models import CaseCounter, Dispute, Mediation, Petition, PetitionAttachment, Petitioner, PetitionStep
from tests.factories import scoped_user, valid_id_number
from tests.petitions.conftest import petitioner
from villages.choices import Role

D = datetime.date


APRIL = D(2026, 4, 1)


def register(tree, people, *, actor=None, registry=None, division=None, received_on=APRIL, **kwargs):
    kwargs.setdefault("petitioners", [petitioner(region="340827")])
    kwargs.setdefault("subject", "宅基地边界争议")
    return services.petition_register(
        actor=actor or people.wj_officer, registry_unit=registry or tree.wj, division=division or tree.jiangbian,
        channel="visit", kind="demand", content="要求确权", received_on=received_on, **kwargs,
    )  # fmt: skip


def counts():
    return (Petition.objects.count(), Petitioner.objects.count(), PetitionStep.objects.count())


# -------------------------------------------------------------------------------------------- registration


def test_registration_records_the_case_its_people_and_first_step(tree, people):
    case = register(tree, people, grid_reference="江边村第2网格", is_level_skipping=True)
    assert case.number == "XF340827202600001"
    assert case.status == Status.REGISTERED
    assert case.petitioners.get().name == "汪大海"
    step = case.steps.get()
    assert (step.action, step.on, step.actor, step.to_unit) == ("register", D(2026, 4, 1), people.wj_officer, tree.wj)
    assert case.history.first().history_user == people.wj_officer
    assert register(tree, people).number == "XF340827202600002"
    assert register(tree, people, received_on=D(2025, 12, 30)).number == "XF340827202500001"


def test_registration_errors_are_per_field_and_nothing_is_saved(tree, people):
    before = counts()
    with pytest.raises(ValidationError) as err:
        register(
            tree, people, division=tree.liangzhuang, received_on=D(2099, 1, 1), is_leader_owned=True,
            group_size=4, petitioners=[{"name": "甲", "id_number": "340827198005170011", "phone": "12345"}],
        )  # fmt: skip
    assert set(err.value.message_dict) == {"division", "received_on", "leader_name", "group_size", "petitioners"}
    problems = " ".join(err.value.message_dict["petitioners"])
    assert problems.count("1") >= 2  # both the ID number and the phone of petitioner 1 are named
    assert counts() == before
    assert not CaseCounter.objects.exists()


def test_one_petitioner_or_a_group_with_at_most_five_representatives(tree, people):
    many = [petitioner(name=f"代表{i}", region="340827") for i in range(6)]
    with pytest.raises(ValidationError) as err:
        register(tree, people, petitioners=many[:2])
    assert "petitioners" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        register(tree, people, is_group=True, group_size=40, petitioners=many)
    assert "5" in " ".join(err.value.message_dict["petitioners"])
    with pytest.raises(ValidationError) as err:
        register(tree, people, is_group=True, group_size=3, petitioners=many[:5])
    assert set(err.value.message_dict) == {"group_size"}
    with pytest.raises(ValidationError) as err:
        register(tree, people, petitioners=[])
    assert "petitioners" in err.value.message_dict
    case = register(tree, people, is_group=True, group_size=40, petitioners=many[:5])
    assert case.petitioners.count() == 5 and case.group_size == 40
    # The database refuses a group without its size, even through a bulk path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Petition.objects.filter(pk=case.pk).update(group_size=None)


@pytest.mark.parametrize(
    ("role", "error"),
    [("township", PermissionDenied), ("county", PermissionDenied), ("api", PermissionDenied),
     ("village", Http404)],
)  # fmt: skip
def test_only_a_petition_officer_registers(tree, people, role, error):
    office = tree.peicheng if role in {"township", "village"} else tree.yc
    with pytest.raises(error):
        register(tree, people, actor=getattr(tree.users, role), registry=office, division=tree.liangzhuang)
    with pytest.raises(Http404):  # 望江县's officer, in 郾城区
        register(tree, people, registry=tree.yc, division=tree.liangzhuang)
    assert not Petition.objects.exists()


def test_a_township_petition_office_registers_within_its_township(tree, people):
    officer = scoped_user("t_huayang_office", tree.huayang, Role.PETITION_OFFICER)
    case = register(tree, people, actor=officer, registry=tree.huayang)
    assert case.registry_unit == tree.huayang
    with pytest.raises(ValidationError) as err:
        register(tree, people, actor=people.wj_officer, registry=tree.wj, division=tree.liangzhuang)
    assert set(err.value.message_dict) == {"division"}


# ------------------------------------------------------------------------------------------- repeats, 终结


def test_earlier_cases_of_the_same_petitioner_on_the_same_matter_are_found(tree, people):
    same_person = petitioner(name="汪大海", region="340827")
    earlier = register(tree, people, petitioners=[same_person], subject="反映宅基地边界争议（江边村）")
    register(tree, people, petitioners=[petitioner(name="汪小海", region="340827")], subject="宅基地边界争议")
    found = selectors.repeat_candidates(user=people.wj_officer, petitioners=[same_person], subject="宅基地边界的争议")
    assert found == [earlier]
    # Another matter of the same petitioner is not the same case.
    assert selectors.repeat_candidates(user=people.wj_officer, petitioners=[same_person], subject="低保评定不公") == []
    # Without an ID number the name finds it.
    nameless = {"name": "汪大海", "id_number": "", "phone": ""}
    assert selectors.repeat_candidates(user=people.wj_officer, petitioners=[nameless], subject="宅基地边界争议")
    # An officer of another county does not see it.
    assert (
        selectors.repeat_candidates(user=people.yc_officer, petitioners=[same_person], subject="宅基地边界争议") == []
    )


def test_a_confirmed_repeat_is_linked_to_the_earlier_case(tree, people, make_case):
    earlier = make_case("delivered")
    later = register(tree, people, previous=earlier, received_on=D(2026, 6, 1))
    assert later.is_repeat and later.previous == earlier
    assert list(earlier.repeats.all()) == [later]
    with pytest.raises(ValidationError) as err:  # not before the earlier case
        register(tree, people, previous=earlier, received_on=D(2026, 1, 1))
    assert set(err.value.message_dict) == {"previous"}


def test_after_rereview_the_same_matter_is_not_accepted_again(tree, people, make_case):
    ended = make_case("terminated")
    assert ended.status == Status.TERMINATED
    same_person = [dict(petitioner(region="340827"), id_number=ended.petitioners.get().id_number)]
    before = counts()
    with pytest.raises(ValidationError) as err:  # found by the petitioner's ID number and the subject
        register(tree, people, petitioners=same_person, subject=ended.subject, received_on=D(2026, 9, 1))
    message = err.value.message_dict["subject"][0]
    assert ended.number in message
    with pytest.raises(ValidationError) as err:  # or linked by the officer
        register(tree, people, previous=ended, received_on=D(2026, 9, 1))
    assert ended.number in err.value.message_dict["previous"][0]
    assert counts() == before
    # The same person on another matter, and another person on this matter, are accepted.
    register(tree, people, petitioners=same_person, subject="低保评定不公", received_on=D(2026, 9, 1))
    register(tree, people, subject=ended.subject, received_on=D(2026, 9, 1))


# ----------------------------------------------------------------------------------------- steps and states


def test_intake_accept_assign_forward_or_refuse(tree, people, make_case):
    accepted = services.petition_accept(actor=people.wj_officer, petition=make_case(), on=D(2026, 3, 5))
    assert (accepted.intake, accepted.responsible_unit, accepted.first_unit) == (Intake.ACCEPTED, tree.wj, tree.wj)
    forwarded = services.petition_assign(
        actor=people.wj_officer, petition=make_case(), unit=tree.huayang, on=D(2026, 3, 5), forward=True
    )
    assert forwarded.intake == Intake.FORWARDED
    step = forwarded.steps.get(action="forward")
    assert (step.from_unit, step.to_unit) == (tree.wj, tree.huayang)
    case = make_case()
    with pytest.raises(ValidationError) as err:
        services.petition_refuse(actor=people.wj_officer, petition=case, reason="  ", on=D(2026, 3, 5))
    assert set(err.value.message_dict) == {"reason"}
    refused = services.petition_refuse(actor=people.wj_officer, petition=case, reason="属诉讼事项", on=D(2026, 3, 5))
    assert refused.status == Status.REFUSED and refused.due_on is None


def test_a_case_goes_only_to_a_unit_responsible_for_its_place(tree, people, make_case):
    case = make_case()
    for unit in (tree.jiangbian, tree.peicheng):
        with pytest.raises(ValidationError) as err:
            services.petition_assign(actor=people.wj_officer, petition=case, unit=unit, on=D(2026, 3, 5))
        assert set(err.value.message_dict) == {"unit"}
    assert Petition.objects.get(pk=case.pk).status == Status.REGISTERED


REFUSED_IN_STATE = [
    ("registered", "conclude"), ("registered", "deliver"), ("registered", "rate"), ("registered", "extend"),
    ("handling", "accept"), ("handling", "deliver"), ("handling", "review_request"),
    ("concluded", "conclude"), ("concluded", "rate"), ("refused", "assign"), ("refused", "conclude"),
    ("delivered", "review_answer"), ("delivered", "rereview_request"), ("review", "rereview_request"),
    ("reviewed", "review_answer"), ("terminated", "review_request"), ("terminated", "rereview_answer"),
    ("rated", "rate"), ("visited", "return_visit"), ("handling", "supervise"),
]  # fmt: skip


@pytest.mark.parametrize(("state", "step"), REFUSED_IN_STATE)
def test_a_step_out_of_its_state_is_refused_with_a_reason(tree, people, make_case, state, step):
    # 督办 is open to a case past its deadline: the case here is recent, so only its state can refuse it.
    received = timezone.localdate() - datetime.timedelta(days=10) if step == "supervise" else D(2026, 10, 1)
    case = make_case(state, received_on=received, step_days=2)
    # An officer of 望江县 may take every step of the course here except in state, so only the state refuses.
    actor = people.wj_officer
    before = (case.status, case.steps.count())
    with pytest.raises(ValidationError) as err:
        services.check_step(actor, case, step)
    assert err.value.code == "state"
    assert err.value.messages[0]
    assert step not in services.steps_open_to(actor, case)
    case.refresh_from_db()
    assert (case.status, case.steps.count()) == before


def test_open_steps_follow_the_course(tree, people, make_case):
    officer, handler = people.wj_officer, people.huayang
    assert services.steps_open_to(officer, make_case()) == ["accept", "assign", "refuse", "supervise", "attach"]
    assert services.steps_open_to(handler, make_case("handling")) == ["extend", "conclude", "attach"]
    assert services.steps_open_to(handler, make_case("delivered")) == ["rate", "return_visit", "attach"]
    # Satisfaction and the return visit may still be recorded while a review runs; the review is long overdue.
    review = make_case("review")
    assert services.steps_open_to(officer, review) == ["rate", "return_visit", "review_answer", "supervise", "attach"]
    assert services.steps_open_to(handler, review) == ["rate", "return_visit", "attach"]
    assert services.steps_open_to(people.wj_officer, make_case("terminated")) == ["attach"]


def test_the_handling_unit_and_not_another_township_handles(tree, people, make_case):
    case = make_case("handling", where="yc")
    with pytest.raises(PermissionDenied):  # the county official reads, does not handle
        services.petition_conclude(actor=tree.users.county, petition=case, decision=Decision.SUPPORT,
                                   decision_text="支持")  # fmt: skip
    other = scoped_user("t_shangqiao", tree.shangqiao, Role.TOWNSHIP_STAFF)
    with pytest.raises(Http404):
        services.petition_conclude(actor=other, petition=case, decision=Decision.SUPPORT, decision_text="支持")
    with pytest.raises(Http404):  # the village secretary cannot read petitions at all
        services.petition_conclude(actor=tree.users.village, petition=case, decision=Decision.SUPPORT,
                                   decision_text="支持")  # fmt: skip
    case = services.petition_conclude(actor=people.peicheng, petition=case, decision=Decision.SUPPORT,
                                      decision_text="支持")  # fmt: skip
    assert case.status == Status.CONCLUDED and case.concluded_on


def test_reviews_are_answered_above_the_handling_unit(tree, people, make_case):
    case = make_case("review", where="yc")
    with pytest.raises(PermissionDenied):
        services.petition_answer_review(actor=people.peicheng, petition=case, result=ReviewResult.UPHELD,
                                        text="维持", reviewing_body="裴城镇")  # fmt: skip
    case = services.petition_answer_review(actor=tree.users.county, petition=case, result=ReviewResult.CHANGED,
                                           text="变更", reviewing_body="郾城区信访局")  # fmt: skip
    assert case.status == Status.REVIEWED and case.appeal_until


def test_satisfaction_only_for_first_time_accepted_cases_credited_to_the_first_unit(tree, people, make_case):
    earlier = make_case("delivered")
    repeat = register(tree, people, previous=earlier, received_on=D(2026, 6, 1))
    repeat = services.petition_assign(actor=people.wj_officer, petition=repeat, unit=tree.huayang, on=D(2026, 6, 2))
    repeat = services.petition_conclude(actor=people.huayang, petition=repeat, decision=Decision.EXPLAIN,
                                        decision_text="解释", on=D(2026, 6, 3))  # fmt: skip
    repeat = services.petition_deliver(actor=people.huayang, petition=repeat, method=Delivery.POST, on=D(2026, 6, 4))
    with pytest.raises(ValidationError) as err:
        services.petition_rate(actor=people.wj_officer, petition=repeat, satisfaction=Satisfaction.SATISFIED)
    assert err.value.code == "state"
    rated = services.petition_rate(actor=people.huayang, petition=earlier, satisfaction=Satisfaction.BASIC)
    step = rated.steps.get(action="rate")
    assert step.to_unit == tree.huayang == rated.first_unit
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses a rated repeat too
        Petition.objects.filter(pk=repeat.pk).update(satisfaction=Satisfaction.SATISFIED)


def test_return_visit_may_take_the_satisfaction(tree, people, make_case):
    case = make_case("delivered")
    with pytest.raises(ValidationError) as err:
        services.petition_return_visit(actor=people.huayang, petition=case, note=" ")
    assert set(err.value.message_dict) == {"note"}
    case = services.petition_return_visit(actor=people.huayang, petition=case, note="认可",
                                          satisfaction=Satisfaction.SATISFIED)  # fmt: skip
    assert case.satisfaction == Satisfaction.SATISFIED and case.return_visited_on
    assert list(case.steps.values_list("action", flat=True))[-2:] == ["rate", "return_visit"]


def test_supervision_only_of_overdue_cases_and_counted(tree, people, make_case):
    overdue = make_case("handling", received_on=D(2026, 1, 5))
    services.petition_supervise(actor=tree.users.petition, petition=overdue, note="三日内报告")
    case = services.petition_supervise(actor=tree.users.petition, petition=overdue, note="再次督办")
    assert case.supervision_count == 2 and case.supervised_on
    assert list(case.steps.filter(action="supervise").values_list("to_unit", flat=True)) == [tree.huayang.pk] * 2
    with pytest.raises(PermissionDenied):
        services.petition_supervise(actor=people.huayang, petition=overdue, note="x")
    fresh = make_case("handling", received_on=datetime.date.today() - datetime.timedelta(days=3), step_days=1)  # noqa: DTZ011
    with pytest.raises(ValidationError) as err:
        services.petition_supervise(actor=tree.users.petition, petition=fresh, note="x")
    assert err.value.code == "state"


def test_a_rejected_step_saves_nothing(tree, people, make_case):
    case = make_case("handling")
    before = (Petition.objects.get(pk=case.pk).history.count(), case.steps.count())
    with pytest.raises(ValidationError) as err:
        services.petition_conclude(actor=people.huayang, petition=case, decision="maybe", decision_text="")
    assert set(err.value.message_dict) == {"decision", "decision_text"}
    assert (Petition.objects.get(pk=case.pk).history.count(), case.steps.count()) == before


# ------------------------------------------------------------------------------------------------ attachments


def _upload(name, content):
    return SimpleUploadedFile(name, content)


def test_attachments_are_checked_and_stored_under_a_generated_name(tree, people, make_case, monkeypatch):
    case = make_case()
    for name, content in [("x.exe", b"MZ"), ("scan.pdf", b"<html>"), ("empty.png", b""), ("../../etc.txt", b"x")]:
        with pytest.raises(ValidationError) as err:
            services.attachment_add(actor=people.wj_officer, petition=case, file=_upload(name, content))
        assert set(err.value.message_dict) == {"file"}
    monkeypatch.setattr(services, "ATTACHMENT_MAX_BYTES", 10)
    with pytest.raises(ValidationError):
        services.attachment_add(actor=people.wj_officer, petition=case, file=_upload("big.pdf", b"%PDF-" + b"0" * 20))
    monkeypatch.undo()
    saved = services.attachment_add(actor=people.wj_officer, petition=case, file=_upload("来信.pdf", b"%PDF-1.7"))
    assert saved.original_name == "来信.pdf" and saved.content_type == "application/pdf"
    assert (
        saved.file.name.startswith("petitions/") and saved.file.name.endswith(".pdf") and "来信" not in saved.file.name
    )
    assert case.steps.filter(action="attach", note="来信.pdf").exists()
    assert PetitionAttachment.objects.count() == 1
    reader = scoped_user("t_wj_county", tree.wj, Role.COUNTY_OFFICIAL)
    with pytest.raises(PermissionDenied):
        services.attachment_add(actor=reader, petition=case, file=_upload("a.png", b"\x89PNG\r\n\x1a\n"))


def test_registration_with_a_bad_attachment_saves_nothing(tree, people):
    with pytest.raises(ValidationError) as err:
        register(tree, people, attachments=[_upload("a.pdf", b"%PDF-1"), _upload("b.pdf", b"not a pdf")])
    assert set(err.value.message_dict) == {"attachments"}
    assert not Petition.objects.exists() and not PetitionAttachment.objects.exists()
    case = register(tree, people, attachments=[_upload("a.pdf", b"%PDF-1")])
    assert case.attachments.count() == 1


# ---------------------------------------------------------------------------------------------------- disputes


def test_disputes_are_screened_mediated_and_followed_up(tree, people, make_dispute):
    secretary = tree.users.village
    dispute = services.dispute_screen(
        actor=secretary, division=tree.liangzhuang, source="village", screened_on=D(2026, 5, 1), category="family",
        risk_level="high", summary="赡养纠纷", parties=[{"name": "梁甲", "phone": "13912345678"}, {"name": "梁乙"}],
    )  # fmt: skip
    assert dispute.number == "JF411103202600001" and dispute.parties.count() == 2
    with pytest.raises(ValidationError) as err:
        services.dispute_mediate(
            actor=secretary, dispute=dispute, kind="peoples", mediator="", method="on_site", sessions=0,
            started_on=D(2026, 4, 1), ended_on=D(2026, 3, 1), resolved=True,
        )  # fmt: skip
    assert set(err.value.message_dict) == {"mediator", "sessions", "started_on", "ended_on", "agreement"}
    assert not Mediation.objects.exists()
    services.dispute_mediate(
        actor=secretary, dispute=dispute, kind="five_elders", mediator="五老 梁老", method="on_site", sessions=1,
        started_on=D(2026, 5, 2), ended_on=D(2026, 5, 2),
    )  # fmt: skip
    assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.MEDIATING
    with pytest.raises(ValidationError):
        services.dispute_follow_up(actor=secretary, dispute=dispute, note="x")
    services.dispute_mediate(
        actor=secretary, dispute=dispute, kind="peoples", mediator="村调委会", method="face_to_face", sessions=2,
        started_on=D(2026, 5, 10), ended_on=D(2026, 5, 12), agreement="轮流赡养", resolved=True,
    )  # fmt: skip
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolved_on) == (DisputeStatus.RESOLVED, D(2026, 5, 12))
    mediation = services.dispute_follow_up(actor=secretary, dispute=dispute, note="协议履行", on=D(2026, 6, 1))
    assert mediation.followed_up_on == D(2026, 6, 1)
    with pytest.raises(ValidationError) as err:
        services.dispute_follow_up(actor=secretary, dispute=dispute, note="again")
    assert err.value.code == "state"
    with pytest.raises(ValidationError):  # a resolved dispute is not escalated
        services.dispute_escalate(actor=people.peicheng, dispute=dispute, grid_request_ref="WG-1")
    with pytest.raises(PermissionDenied):  # the county official reads disputes
        services.dispute_mediate(actor=tree.users.county, dispute=make_dispute(where="yc"), kind="peoples",
                                 mediator="x", method="on_site", sessions=1, started_on=D(2026, 3, 2),
                                 ended_on=D(2026, 3, 2))  # fmt: skip


def test_a_dispute_escalated_into_a_petition_is_linked(tree, people, make_dispute, make_case):
    dispute = make_dispute("screened")
    case = register(tree, people, dispute=dispute, received_on=D(2026, 3, 5))
    dispute.refresh_from_db()
    assert (dispute.status, dispute.petition, dispute.escalated_on) == (DisputeStatus.ESCALATED, case, D(2026, 3, 5))
    with pytest.raises(ValidationError) as err:  # already escalated
        register(tree, people, dispute=dispute, received_on=D(2026, 3, 6))
    assert "dispute" in err.value.message_dict
    other = make_dispute("screened")
    escalated = services.dispute_escalate(actor=people.huayang, dispute=other, grid_request_ref="WG20260301-01")
    assert escalated.status == DisputeStatus.ESCALATED and escalated.petition is None
    with pytest.raises(ValidationError) as err:
        services.dispute_escalate(actor=people.huayang, dispute=make_dispute("screened"))
    assert "petition" in err.value.message_dict


def test_personal_data_is_validated_on_the_way_in(tree, people):
    good = valid_id_number(region="340827")
    case = register(tree, people, petitioners=[{"name": "汪", "id_number": good.lower(), "phone": "13912345678"}])
    assert case.petitioners.get().id_number == good.upper()
    with pytest.raises(IntegrityError), transaction.atomic():
        Petitioner.objects.filter(petition=case).update(phone="12345")
