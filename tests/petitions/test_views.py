"""The pages: board, lists and their filters, registration with its field errors and repeat check, the case
page and its step forms, the ledgers (masked unless the role needs the numbers), disputes."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from petitions import services
from petitions.choices import Status
from petitions.ledgers import DISPUTE_COLUMNS, PETITION_COLUMNS
from petitions.models import Dispute, Petition, Petitioner
from tests.factories import valid_id_number
from tests.petitions.conftest import petitioner
from villages.validators import mask_id_number, mask_phone

D = datetime.date
WJ = "340827000000"
HUAYANG = "340827100000"


def _registration(tree, **over):
    data = {
        "received_on": timezone.localdate().isoformat(), "channel": "visit", "kind": "demand",
        "division": tree.jiangbian.pk,
        "grid_reference": "江边村第1网格", "subject": "要求维修村组道路", "content": "道路破损，出行不便。",
        "p-TOTAL_FORMS": "5", "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0", "p-MAX_NUM_FORMS": "5",
        "p-0-name": "汪春生", "p-0-id_number": valid_id_number(region="340827"), "p-0-phone": "13955556666",
    }  # fmt: skip
    data.update(over)
    return data


def _rows(response):
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    return rows[0], rows[1:]


# ------------------------------------------------------------------------------------------------ registration


def test_registration_form_shows_errors_field_by_field_and_saves_nothing(client, tree):
    client.force_login(tree.users.petition)
    url = reverse("petitions:register", args=[WJ])
    assert client.get(url).status_code == 200
    bad = _registration(tree, subject="", **{"p-0-id_number": "340827198005170011", "p-0-phone": "1234"})
    response = client.post(url, bad)
    assert response.status_code == 200
    form, formset = response.context["form"], response.context["formset"]
    assert "subject" in form.errors
    assert set(formset.forms[0].errors) == {"id_number", "phone"}
    assert 'aria-describedby="id_subject_errors"' in response.content.decode()
    assert not Petition.objects.exists() and not Petitioner.objects.exists()
    response = client.post(url, _registration(tree, is_group="on", group_size="1"))
    assert "group_size" in response.context["form"].errors
    response = client.post(url, _registration(tree, **{"p-1-name": "第二人"}))
    assert response.context["petitioner_errors"]  # two petitioners without "group visit"
    assert not Petition.objects.exists()


def test_registration_saves_the_case_and_goes_to_it(client, tree, settings):
    client.force_login(tree.users.petition)
    upload = SimpleUploadedFile("来信.pdf", b"%PDF-1.4 letter", content_type="application/pdf")
    response = client.post(reverse("petitions:register", args=[WJ]), _registration(tree, attachments=upload))
    case = Petition.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert (case.division, case.registry_unit, case.grid_reference) == (tree.jiangbian, tree.wj, "江边村第1网格")
    assert case.attachments.get().original_name == "来信.pdf"
    page = client.get(case.get_absolute_url())
    assert [action for action, _step, _form in page.context["step_forms"]] == ["accept", "assign", "refuse"]


def test_an_earlier_case_of_the_same_petitioner_is_offered_for_confirmation(client, tree, people):
    client.force_login(tree.users.petition)
    url = reverse("petitions:register", args=[WJ])
    first = _registration(tree)
    client.post(url, first)
    earlier = Petition.objects.get()
    again = dict(first, subject="再次要求维修村组道路")
    response = client.post(url, again)
    assert response.status_code == 200
    assert [c.pk for c in response.context["candidates"]] == [earlier.pk]
    assert Petition.objects.count() == 1  # nothing saved until the officer says
    response = client.post(url, dict(again, repeat_checked="1", previous=str(earlier.pk)))
    later = Petition.objects.latest("pk")
    assert response.status_code == 302
    assert later.is_repeat and later.previous == earlier
    response = client.post(url, dict(again, repeat_checked="1", previous=""))
    assert not Petition.objects.latest("pk").is_repeat


def test_registration_says_why_a_terminated_matter_is_not_accepted(client, tree, make_case):
    ended = make_case("terminated")
    person = ended.petitioners.get()
    client.force_login(tree.users.petition)
    data = _registration(tree, subject=ended.subject, repeat_checked="1", **{"p-0-id_number": person.id_number})
    response = client.post(reverse("petitions:register", args=[WJ]), data)
    assert response.status_code == 200
    assert ended.number in " ".join(response.context["form"].errors["subject"])
    assert Petition.objects.count() == 1


# -------------------------------------------------------------------------------------------- the case page


def test_a_step_form_with_errors_is_shown_again_beside_its_fields(client, tree, people, make_case):
    case = make_case("handling")
    client.force_login(people.huayang)
    url = reverse("petitions:case_action", args=[case.pk, "conclude"])
    response = client.post(url, {"conclude-decision": "support", "conclude-decision_text": "", "conclude-on": ""})
    assert response.status_code == 200
    form = {a: f for a, _s, f in response.context["step_forms"]}["conclude"]
    assert set(form.errors) == {"decision_text", "on"}
    assert response.context["expanded"] == "conclude"
    assert Petition.objects.get(pk=case.pk).status == Status.HANDLING
    response = client.post(url, {"conclude-decision": "support", "conclude-decision_text": "支持",
                                 "conclude-on": "2026-04-01"})  # fmt: skip
    assert response.status_code == 302
    assert Petition.objects.get(pk=case.pk).status == Status.CONCLUDED


def test_a_step_the_state_refuses_comes_back_as_a_message(client, tree, people, make_case):
    case = make_case("registered")
    client.force_login(people.huayang)
    response = client.post(reverse("petitions:case_action", args=[case.pk, "conclude"]), follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


@pytest.mark.parametrize(("role", "masked"), [("petition", False), ("huayang", True)])
def test_personal_data_on_the_case_page(client, tree, people, make_case, role, masked):
    case = make_case("handling")
    person = case.petitioners.get()
    client.force_login(getattr(people, "wj_officer" if role == "petition" else role))
    body = client.get(case.get_absolute_url()).content.decode()
    assert (person.phone in body) is not masked
    assert (mask_phone(person.phone) in body) is masked
    assert (person.id_number in body) is not masked


def test_the_timeline_shows_each_step_from_unit_to_unit(client, tree, people, make_case):
    case = make_case("visited")
    client.force_login(people.wj_officer)
    response = client.get(case.get_absolute_url())
    steps = list(response.context["steps"])
    assert [s.action for s in steps] == ["register", "assign", "conclude", "deliver", "rate", "return_visit"]
    assert "华阳镇" in response.content.decode()


def test_case_page_queries_do_not_grow_with_the_steps(client, tree, people, make_case, django_assert_max_num_queries):
    client.force_login(people.wj_officer)
    short, long = make_case("registered"), make_case("terminated", subject="另一件事")
    client.get(short.get_absolute_url())
    with django_assert_max_num_queries(30) as short_queries:
        client.get(short.get_absolute_url())
    with django_assert_max_num_queries(len(short_queries.captured_queries) + 3):
        client.get(long.get_absolute_url())


# ---------------------------------------------------------------------------------------------------- lists


def test_the_list_filters_overdue_due_soon_and_my_steps(client, tree, people, make_case):
    today = timezone.localdate()
    overdue = make_case("handling")  # accepted in March: due in May
    soon = make_case("handling", received_on=today - datetime.timedelta(days=58), step_days=1, subject="近期案件")
    registered = make_case("registered", received_on=today, subject="新登记")
    done = make_case("visited", subject="已办结")

    def numbers(user, **params):
        client.force_login(user)
        url = reverse("petitions:list", args=[HUAYANG if user == people.huayang else WJ])
        return {p.number for p in client.get(url, params).context["page"]}

    assert numbers(people.wj_officer) == {c.number for c in (overdue, soon, registered, done)}
    assert numbers(people.wj_officer, overdue="on") == {overdue.number}
    assert numbers(people.wj_officer, due_within=7) == {soon.number}
    assert numbers(people.wj_officer, mine="on") == {registered.number}
    assert numbers(people.huayang, mine="on") == {overdue.number, soon.number}
    assert numbers(people.wj_officer, status="registered") == {registered.number}
    assert numbers(people.wj_officer, q="近期") == {soon.number}
    assert numbers(people.wj_officer, q=registered.petitioners.get().name) >= {registered.number}
    assert numbers(people.wj_officer, period="2026-03") == {overdue.number, done.number}


def test_the_list_is_paged_and_its_queries_do_not_grow(client, tree, people, make_case, django_assert_max_num_queries):
    client.force_login(people.wj_officer)
    url = reverse("petitions:list", args=[WJ])
    make_case("handling")
    client.get(url)
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(12):
        make_case("registered", subject=f"事项{i}", petitioners=[petitioner(region="340827")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.context["page"].paginator.count == 13
    htmx = client.get(url, {"status": "registered"}, HTTP_HX_REQUEST="true")
    assert htmx.templates[0].name == "petitions/_case_table.html"


def test_the_board_shows_the_rates_and_counts(client, tree, people, make_case):
    make_case("rated")
    client.force_login(people.wj_officer)
    response = client.get(reverse("petitions:board", args=[WJ]), {"period": "2026"})
    assert response.status_code == 200
    rates = response.context["rates"]["rates"]
    assert rates["satisfaction"]["numerator"] == 1
    assert response.context["chart"]["labels"] == ["华阳镇"]
    assert 'id="sz-rates-data"' in response.content.decode()
    response = client.get(reverse("petitions:board", args=[WJ]), {"period": "2026-13"})
    assert response.status_code == 200 and response.context["period"].key == str(timezone.localdate().year)


def test_index_sends_each_user_to_their_page(client, tree):
    client.force_login(tree.users.petition)
    assert client.get(reverse("petitions:index"))["Location"] == reverse("petitions:board", args=[WJ])
    client.force_login(tree.users.village)
    assert client.get(reverse("petitions:index"))["Location"] == reverse("petitions:disputes", args=["411103103201"])


# ---------------------------------------------------------------------------------------------------- ledgers


@pytest.mark.parametrize(("role", "full"), [("petition", True), ("huayang", False)])
def test_the_ledger_masks_personal_data_unless_the_role_needs_it(client, tree, people, make_case, role, full):
    case = make_case("rated", subject="=HYPERLINK(1)")
    person = case.petitioners.get()
    make_case("registered", subject="另一件")
    client.force_login(people.wj_officer if role == "petition" else people.huayang)
    response = client.get(reverse("petitions:ledger", args=[WJ if full else HUAYANG]), {"status": "delivered"})
    assert response.status_code == 200
    header, rows = _rows(response)
    assert list(header) == PETITION_COLUMNS
    assert len(rows) == 1  # the list's filter holds in the ledger
    row = dict(zip(header, rows[0], strict=True))
    assert row["编号"] == case.number and row["满意度"] == "满意" and row["状态"] == "已送达"
    assert row["信访事项"] == "'=HYPERLINK(1)"  # a formula is written as text
    assert row["身份证号"] == (person.id_number if full else mask_id_number(person.id_number))
    assert row["联系电话"] == (person.phone if full else mask_phone(person.phone))


def test_the_ledger_of_the_api_client_is_masked(client, tree, make_case):
    case = make_case("handling", where="yc")
    client.force_login(tree.users.api)
    _header, rows = _rows(client.get(reverse("petitions:ledger", args=["411103000000"])))
    assert case.petitioners.get().phone not in str(rows)


def test_ledger_queries_do_not_grow(client, tree, people, make_case, django_assert_max_num_queries):
    client.force_login(people.wj_officer)
    url = reverse("petitions:ledger", args=[WJ])
    make_case("handling")
    with django_assert_max_num_queries(15) as few:
        client.get(url)
    for i in range(8):
        make_case("registered", subject=f"事项{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        _header, rows = _rows(client.get(url))
    assert len(rows) == 9


# ---------------------------------------------------------------------------------------------------- disputes


def test_a_dispute_is_recorded_with_field_errors_first(client, tree):
    client.force_login(tree.users.village)
    url = reverse("petitions:dispute_create", args=["411103103201"])
    page = client.get(url)
    assert page.context["form"].initial["source"] == "village"
    data = {
        "screened_on": "2026-05-01", "division": tree.liangzhuang.pk, "source": "village", "category": "family",
        "risk_level": "medium", "summary": "", "p-TOTAL_FORMS": "4", "p-INITIAL_FORMS": "0", "p-MIN_NUM_FORMS": "0",
        "p-MAX_NUM_FORMS": "10", "p-0-name": "梁甲", "p-0-phone": "123",
    }  # fmt: skip
    response = client.post(url, data)
    assert "summary" in response.context["form"].errors and "phone" in response.context["formset"].forms[0].errors
    assert not Dispute.objects.exists()
    response = client.post(url, dict(data, summary="赡养纠纷", **{"p-0-phone": "13912345678"}))
    dispute = Dispute.objects.get()
    assert response["Location"] == dispute.get_absolute_url()
    page = client.get(dispute.get_absolute_url())
    assert [a for a, _s, _f in page.context["step_forms"]] == ["mediate"]
    assert "139****5678" in page.content.decode()  # a village secretary reads masked numbers


def test_the_dispute_ledger_and_list(client, tree, people, make_dispute):
    resolved = make_dispute("resolved")
    make_dispute("screened")
    client.force_login(people.huayang)
    page = client.get(reverse("petitions:disputes", args=[HUAYANG]), {"status": "resolved"})
    assert [d.number for d in page.context["page"]] == [resolved.number]
    header, rows = _rows(client.get(reverse("petitions:dispute_ledger", args=[HUAYANG])))
    assert list(header) == DISPUTE_COLUMNS and len(rows) == 2
    phone = resolved.parties.first().phone
    assert phone not in str(rows) and mask_phone(phone) in str(rows)


def test_an_officer_can_register_a_dispute_as_a_petition(client, tree, people, make_dispute):
    dispute = make_dispute("mediating")
    client.force_login(people.wj_officer)
    page = client.get(dispute.get_absolute_url())
    assert page.context["registry_code"] == WJ
    form_page = client.get(reverse("petitions:register", args=[WJ]), {"dispute": dispute.pk})
    assert form_page.context["formset"].forms[0].initial["name"] == "甲"
    data = _registration(tree, dispute=str(dispute.pk))
    assert client.post(reverse("petitions:register", args=[WJ]), data).status_code == 302
    dispute.refresh_from_db()
    assert dispute.petition == Petition.objects.get()


def test_attachment_upload_from_the_case_page(client, tree, people, make_case):
    case = make_case("handling")
    client.force_login(people.huayang)
    url = reverse("petitions:attachment_add", args=[case.pk])
    response = client.post(url, {"file": SimpleUploadedFile("a.exe", b"MZ")}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    client.post(url, {"file": SimpleUploadedFile("现场.jpg", b"\xff\xd8\xff\xe0data")})
    assert case.attachments.get().original_name == "现场.jpg"
    assert services.steps_open_to(people.huayang, case)[-1] == "attach"


def test_each_showing_of_full_personal_data_is_logged(client, tree, people, make_case, make_dispute):
    from villages.models import PersonalDataAccess

    case = make_case("handling")
    client.force_login(people.huayang)  # masked: nothing to log
    client.get(case.get_absolute_url())
    client.get(reverse("petitions:ledger", args=[HUAYANG]))
    assert not PersonalDataAccess.objects.exists()
    client.force_login(people.wj_officer)
    client.get(case.get_absolute_url())
    client.get(reverse("petitions:ledger", args=[WJ]))
    client.get(make_dispute("screened").get_absolute_url())
    logged = list(PersonalDataAccess.objects.order_by("pk").values_list("model", "context", "object_ids"))
    person = case.petitioners.get()
    assert logged[:2] == [
        ("petitions.Petitioner", "page", [person.pk]),
        ("petitions.Petitioner", "export", [person.pk]),
    ]
    assert logged[2][:2] == ("petitions.DisputeParty", "page")
