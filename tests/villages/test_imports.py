"""The one import engine (villages.imports): preview, upsert, re-import, bad rows, clerks' spellings, the templates,
the job pages' scope, query budgets."""

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from grids.models import Grid, GridAssignment, Household, PartyMember
from tests.factories import valid_id_number
from villages.choices import Level, PostTitle
from villages.imports import clean, importer_for
from villages.imports.services import import_job_confirm, import_job_create
from villages.imports.workbook import template_bytes
from villages.models import Cadre, Division, ImportJob

Status = ImportJob.Status


def xlsx(headers, rows, name="ledger.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def upload(capture, actor, division, kind, headers, rows):
    with capture(execute=True):
        job = import_job_create(actor=actor, division=division, kind=kind, file=xlsx(headers, rows))
    job.refresh_from_db()
    return job


def confirm(capture, actor, job):
    with capture(execute=True):
        import_job_confirm(actor=actor, job=job)
    job.refresh_from_db()
    return job


DIVISION_HEADERS = ["区划代码", "名称", "层级", "类型", "人口", "户数", "城乡分类代码"]
CADRE_HEADERS = [
    "村（社区）区划代码",
    "姓名",
    "性别",
    "出生日期",
    "学历",
    "是否党员",
    "联系电话",
    "身份证号",
    "职务",
    "任职日期",
]
GRID_HEADERS = ["网格编码", "网格名称", "网格类型", "专属类型", "村(社区)区划代码", "网格员", "网格员电话"]
HOUSEHOLD_HEADERS = ["户号", "网格编码", "村(社区)区划代码", "地址", "户主姓名", "户主身份证号", "家庭人口", "联系电话"]


def test_clean_reads_a_clerks_spellings():
    for written in ("2021-03-15", "2021/3/15", "2021.3.15", "2021年3月15日", " 2021.03.15 ", "２０２１.３.１５"):
        assert clean.date(written) == datetime.date(2021, 3, 15), written
    assert clean.date(datetime.datetime(2021, 3, 15, tzinfo=datetime.UTC)) == datetime.date(2021, 3, 15)
    assert clean.date(44270) == datetime.date(2021, 3, 15)  # a date cell read as its serial number
    assert clean.whole_number(" 12 ") == 12 and clean.whole_number("12.0") == 12 and clean.whole_number(12.0) == 12
    assert clean.visible("村（居）委会") == "村⟨U+FF08⟩居⟨U+FF09⟩委会"
    assert "⟨U+00A0⟩" in clean.shown("乡镇\u00a0x")


def test_divisions_preview_then_confirm_then_reimport_unchanged(tree, django_capture_on_commit_callbacks):
    rows = [
        ["411103104000", "新店镇", "乡镇", "镇", None, None, None],
        ["411103104201", "新店村", "村", None, "1860", "452", "220"],  # kind from the urban-rural code, numbers as text
        ["411103104202", "新店社区 ", "村级", "社区", None, None, "111"],
        ["411103103201", "梁庄村", "村", "村", None, None, None],  # already there, unchanged
    ]
    job = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS, rows)
    assert job.status == Status.REFUSED  # 村级 is not a level
    assert job.errors == [[4, "层级", job.errors[0][2]]] and "乡镇" in job.errors[0][2]
    assert not Division.objects.filter(code="411103104000").exists()

    rows[2][2] = "村"
    job = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS, rows)
    assert (job.status, job.created_count, job.updated_count, job.unchanged_count) == (Status.READY, 3, 0, 1)
    assert not Division.objects.filter(code="411103104000").exists()  # the preview writes nothing
    job = confirm(django_capture_on_commit_callbacks, tree.users.county, job)
    assert job.status == Status.DONE
    village = Division.objects.get(code="411103104201")
    assert (village.kind, village.population, village.parent.code, village.urban_rural) == (
        "village",
        1860,
        "411103104000",
        "220",
    )
    assert Division.objects.get(code="411103104202").name == "新店社区"

    again = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS, rows)
    assert (again.status, again.created_count, again.updated_count, again.unchanged_count) == (
        Status.UNCHANGED,
        0,
        0,
        4,
    )

    rows[1][1] = "新店村委"
    changed = upload(
        django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS, rows
    )
    assert (changed.created_count, changed.updated_count) == (0, 1)
    confirm(django_capture_on_commit_callbacks, tree.users.county, changed)
    assert Division.objects.get(code="411103104201").name == "新店村委"


def test_exported_division_ledger_imports_back_unchanged(tree, client, django_capture_on_commit_callbacks):
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division_ledger", args=[tree.yc.code]))
    exported = SimpleUploadedFile(
        "export.xlsx", b"".join(response.streaming_content) if response.streaming else response.content
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=tree.users.county, division=tree.yc, kind="divisions", file=exported)
    job.refresh_from_db()
    assert job.status == Status.UNCHANGED, job.errors
    assert job.unchanged_count == Division.objects.filter(code__startswith="411103").exclude(code=tree.yc.code).count()


def test_bad_rows_all_reported_with_duplicates_naming_the_other_row(tree, django_capture_on_commit_callbacks):
    rows = [
        ["411103103202", "赵一", "男", "1970.1.2", "初中", "是", None, None, "党组织委员", "2021.3.15"],
        ["411103103202", "赵一", "男", None, None, None, None, None, "党组织委员", "2021.3.15"],
        ["411103103202", "钱二", "未知", "1970.13.2", None, None, "1234", None, "村（居）委会主任x", None],
        ["340827100201", "孙三", "女", None, None, None, None, None, "党组织委员", "2021.3.15"],
    ]
    job = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "cadres", CADRE_HEADERS, rows)
    assert job.status == Status.REFUSED and job.error_count == 3
    by_row = {}
    for number, column, message in job.errors:
        by_row.setdefault(number, []).append((column, message))
    assert by_row[3][0][0] == "身份证号" and "2" in by_row[3][0][1]  # the duplicate names row 2
    columns = {column for column, _m in by_row[4]}
    assert {"性别", "出生日期", "联系电话", "职务"} <= columns
    assert any("U+FF08" in m for c, m in by_row[4] if c == "职务")
    assert by_row[5][0][0] == "村(社区)区划代码"
    assert not Cadre.objects.filter(name__in=["赵一", "钱二", "孙三"]).exists()


def test_cadre_roster_as_a_clerk_writes_it_upserts_by_id_number(tree, django_capture_on_commit_callbacks):
    id_number = valid_id_number(birth=datetime.date(1975, 6, 1))
    rows = [["411103103202", "周五", "男", "1975.6.1", "高中", "是", "13803950001", id_number,
             "党组织副书记、村（居）委会委员", "2021.3.15"]]  # fmt: skip
    job = upload(django_capture_on_commit_callbacks, tree.users.township, tree.peicheng, "cadres", CADRE_HEADERS, rows)
    assert job.status == Status.READY, job.errors
    confirm(django_capture_on_commit_callbacks, tree.users.township, job)
    cadre = Cadre.objects.get(id_number=id_number)
    assert cadre.birth_date == datetime.date(1975, 6, 1)
    assert sorted(p.title for p in cadre.posts.all()) == sorted([PostTitle.DEPUTY_SECRETARY, PostTitle.MEMBER])
    assert {p.start_date for p in cadre.posts.all()} == {datetime.date(2021, 3, 15)}

    again = upload(
        django_capture_on_commit_callbacks, tree.users.township, tree.peicheng, "cadres", CADRE_HEADERS, rows
    )
    assert again.status == Status.UNCHANGED
    rows[0][6] = "13803950009"
    changed = upload(
        django_capture_on_commit_callbacks, tree.users.township, tree.peicheng, "cadres", CADRE_HEADERS, rows
    )
    assert (changed.created_count, changed.updated_count) == (0, 1)
    confirm(django_capture_on_commit_callbacks, tree.users.township, changed)
    assert Cadre.objects.filter(id_number=id_number).count() == 1
    assert Cadre.objects.get(id_number=id_number).phone == "13803950009"


def test_grids_party_members_and_households_upsert(tree, django_capture_on_commit_callbacks):
    county, yc = tree.users.county, tree.yc
    grids = [
        ["411103103201001", "第一网格", "全科", None, "411103103201", "李红", "13903950002"],
        ["411103103201002", "梁庄小学", "专属网格", "学校", "梁庄村", None, None],
    ]
    job = upload(django_capture_on_commit_callbacks, county, yc, "grids", GRID_HEADERS, grids)
    assert job.status == Status.READY, job.errors
    confirm(django_capture_on_commit_callbacks, county, job)
    assert Grid.objects.get(code="411103103201002").dedicated_type == "school"
    assert GridAssignment.objects.get(grid__code="411103103201001").person_name == "李红"
    assert (
        upload(django_capture_on_commit_callbacks, county, yc, "grids", GRID_HEADERS, grids).status == Status.UNCHANGED
    )

    member = [["411103103201", "王志强", "411103103201001"]]
    members = upload(
        django_capture_on_commit_callbacks,
        county,
        yc,
        "party_members",
        ["村(社区)区划代码", "姓名", "网格编码"],
        member,
    )
    confirm(django_capture_on_commit_callbacks, county, members)
    assert PartyMember.objects.get(name="王志强").grid.code == "411103103201001"

    head = valid_id_number(birth=datetime.date(1960, 1, 1))
    households = [
        ["0001", "411103103201001", None, "梁庄村一组1号", "赵四", None, "4", None],
        [
            None,
            "第一网格",
            "梁庄村",
            "梁庄村一组2号",
            "钱五",
            head,
            3,
            "13603950004",
        ],  # grid by name within the village
        [None, "411103103201001", None, "梁庄村一组3号", "孙六", None, 2, None],  # keyed by address and head
    ]
    headers = [*HOUSEHOLD_HEADERS, "联户党员"]
    households[0].append("王志强")
    households[1].append(None)
    households[2].append(None)
    job = upload(django_capture_on_commit_callbacks, county, yc, "households", headers, households)
    assert (job.status, job.created_count) == (Status.READY, 3), job.errors
    confirm(django_capture_on_commit_callbacks, county, job)
    assert Household.objects.get(number="0001").linked_member.name == "王志强"
    assert (
        upload(django_capture_on_commit_callbacks, county, yc, "households", headers, households).status
        == Status.UNCHANGED
    )

    # A second file with the same keys is an update, never a copy.
    households[0][6] = 5
    households[1][3] = "梁庄村二组8号"
    households[2][6] = 3
    job = upload(django_capture_on_commit_callbacks, county, yc, "households", headers, households)
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 3, 0)
    confirm(django_capture_on_commit_callbacks, county, job)
    assert Household.objects.count() == 3
    assert Household.objects.get(head_id_number=head).address == "梁庄村二组8号"
    assert Household.objects.get(number="0001").members_count == 5
    assert Household.objects.get(head_name="孙六").members_count == 3
    assert Household.history.filter(history_type="~").count() == 3


def test_templates_have_instructions_validation_and_an_example(db):
    for kind in ("divisions", "cadres", "grids", "party_members", "households"):
        importer = importer_for(kind)
        wb = load_workbook(io.BytesIO(template_bytes(importer)))
        sheet = wb.worksheets[0]
        assert [c.value for c in sheet[1]] == [c.header for c in importer.columns]
        assert sheet.max_row == 2  # the example row
        enumerated = [c for c in importer.columns if c.allowed]
        assert len(sheet.data_validations.dataValidation) == len(enumerated)
        guide = wb.worksheets[-1]
        assert guide.max_row >= len(importer.columns) + 1


def test_the_example_row_of_the_template_is_importable(tree, django_capture_on_commit_callbacks):
    importer = importer_for("grids")
    file = SimpleUploadedFile("t.xlsx", template_bytes(importer))
    Division.objects.create(
        code="411103100201", name="示例村", level=Level.VILLAGE, kind="village", parent=tree.peicheng
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_create(actor=tree.users.county, division=tree.yc, kind="grids", file=file)
    job.refresh_from_db()
    assert job.status == Status.READY, job.errors


def test_job_pages_are_scoped(tree, client, django_capture_on_commit_callbacks):
    job = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS,
                 [["411103104000", "新店镇", "乡镇", "镇", None, None, None]])  # fmt: skip
    client.force_login(tree.users.petition)  # 望江县: another county
    for name in ("villages:import_job", "villages:import_job_progress"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("villages:import_job_confirm", args=[job.pk])).status_code == 404
    assert client.get(reverse("villages:imports", args=[tree.yc.code])).status_code == 404
    assert client.get(reverse("villages:import_upload", args=[tree.yc.code, "divisions"])).status_code == 404
    assert client.get(reverse("villages:import_template", args=[tree.yc.code, "divisions"])).status_code == 404
    client.force_login(tree.users.village)  # in scope, not a county official: may not import divisions
    assert client.get(reverse("villages:import_upload", args=[tree.yc.code, "divisions"])).status_code in (403, 404)
    client.force_login(tree.users.county)
    assert client.get(reverse("villages:import_job", args=[job.pk])).status_code == 200
    assert client.get(reverse("villages:import_job_progress", args=[job.pk])).json()["status"] == Status.READY


def test_pages_and_query_budgets(tree, client, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    client.force_login(tree.users.county)
    for _ in range(3):
        upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "divisions", DIVISION_HEADERS,
               [["411103104000", "新店镇", "乡镇", "镇", None, None, None]])  # fmt: skip
    job = ImportJob.objects.first()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("villages:imports", args=[tree.yc.code])).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("villages:import_job", args=[job.pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("villages:import_template", args=[tree.yc.code, "households"])).status_code == 200
    rows = [[f"411103103201{n:03d}", f"网格{n}", "全科", None, "411103103201", f"员{n}", None] for n in range(1, 201)]
    with django_assert_max_num_queries(30):
        job = upload(django_capture_on_commit_callbacks, tree.users.county, tree.yc, "grids", GRID_HEADERS, rows)
    with django_assert_max_num_queries(40):
        confirm(django_capture_on_commit_callbacks, tree.users.county, job)
    assert Grid.objects.count() == 200
    response = client.get(reverse("villages:onboard_checklist", args=[tree.yc.code]))
    assert reverse("villages:import_upload", args=[tree.yc.code, "households"]) in response.content.decode()


def test_every_import_url_is_scope_tested():
    from villages.imports import urls

    # test_job_pages_are_scoped covers each of them out of scope (404) and in scope without the role.
    assert {p.name for p in urls.urlpatterns} == {
        "imports", "import_template", "import_upload", "import_job", "import_job_confirm", "import_job_progress"
    }  # fmt: skip


def test_party_members_of_the_same_name_load_by_their_id_numbers(tree, django_capture_on_commit_callbacks):
    capture, county, yc = django_capture_on_commit_callbacks, tree.users.county, tree.yc
    headers = ["村(社区)区划代码", "姓名", "身份证号", "联系电话"]
    first, second = valid_id_number(), valid_id_number()
    rows = [["411103103201", "王伟", first, None], ["411103103201", "王伟", second, "13703950003"]]
    job = confirm(capture, county, upload(capture, county, yc, "party_members", headers, rows))
    assert (job.status, job.created_count) == (Status.DONE, 2), job.errors
    assert set(PartyMember.objects.filter(name="王伟").values_list("id_number", flat=True)) == {first, second}
    # Again, with one phone changed: an update of the member that ID names, nothing doubled.
    rows[0][3] = "13703950004"
    job = confirm(capture, county, upload(capture, county, yc, "party_members", headers, rows))
    assert (job.created_count, job.updated_count, job.unchanged_count) == (0, 1, 1)
    assert PartyMember.objects.get(id_number=first).phone == "13703950004"
    # By name alone the two cannot be told apart: the row says so, and why.
    job = upload(capture, county, yc, "party_members", ["村(社区)区划代码", "姓名"], [["411103103201", "王伟"]])
    assert job.status == Status.REFUSED
    [(row, column, message)] = job.errors
    assert (row, column) == (2, "姓名") and "王伟" in message and "身份证号" in message
    # Two new members of one name without ID numbers in one file: the second row names the first.
    rows = [["411103103201", "李强"], ["411103103201", "李强"]]
    job = upload(capture, county, yc, "party_members", ["村(社区)区划代码", "姓名"], rows)
    assert [e[:2] for e in job.errors] == [[3, "姓名"]] and "2" in job.errors[0][2]
    assert not PartyMember.objects.filter(name="李强").exists()


def test_a_member_entered_without_an_id_number_gets_it_from_the_roll(tree, django_capture_on_commit_callbacks):
    capture, county, yc = django_capture_on_commit_callbacks, tree.users.county, tree.yc
    PartyMember.objects.create(village=tree.liangzhuang, name="赵敏")
    number = valid_id_number()
    rows = [["411103103201", "赵敏", number]]
    job = confirm(capture, county, upload(capture, county, yc, "party_members", ["村(社区)", "姓名", "身份证号"], rows))
    assert (job.created_count, job.updated_count) == (0, 1)
    assert PartyMember.objects.get(name="赵敏").id_number == number


def test_an_import_task_run_again_after_a_lost_worker_changes_nothing(tree, django_capture_on_commit_callbacks):
    """acks_late: a redelivered run finds the job no longer in the phase it was sent for and leaves it alone; a write
    that died before its commit left the job writing, and the next run writes it whole."""
    from villages.imports.services import import_job_run
    from villages.tasks import import_job_task

    assert import_job_task.acks_late and import_job_task.reject_on_worker_lost
    capture, county, yc = django_capture_on_commit_callbacks, tree.users.county, tree.yc
    rows = [["411103103201001", "第一网格", "全科", None, "411103103201", "李红", "13903950002"]]
    job = upload(capture, county, yc, "grids", GRID_HEADERS, rows)
    ImportJob.objects.filter(pk=job.pk).update(status=Status.WRITING)  # confirmed; the worker died before its commit
    import_job_run(job_id=job.pk, phase="write")
    job.refresh_from_db()
    assert (job.status, job.created_count, job.rows_written) == (Status.DONE, 1, 1)
    for phase in ("write", "check"):  # redelivered after the commit
        import_job_run(job_id=job.pk, phase=phase)
        job.refresh_from_db()
        assert (job.status, job.created_count, job.rows_written) == (Status.DONE, 1, 1)
    assert Grid.objects.filter(code="411103103201001").count() == 1
