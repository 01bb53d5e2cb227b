import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import valid_id_number
from villages.ledgers import CADRE_COLUMNS, DIVISION_COLUMNS
from villages.models import Cadre, Division, ImportJob, Post


def xlsx(headers, rows, name="ledger.xlsx"):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def _cadre_row(**over):
    row = {
        "村(社区)区划代码": "411103103202",
        "姓名": "王新",
        "性别": "男",
        "出生日期": "1985-03-02",
        "学历": "大专",
        "是否党员": "是",
        "所在党支部": "王庄村党支部",
        "联系电话": "13912345678",
        "身份证号": valid_id_number(),
        "职务": "党组织委员;村(居)委会委员",
        "任职日期": "2021-03-01",
        "届次开始年份": 2021,
    }
    row.update(over)
    return [row[h] for h in CADRE_COLUMNS]


def _import(client, capture, user, kind, upload, code="411103103000"):
    """Through the import pages (villages.imports): upload (the preview), then confirm when it is ready. The page's
    response and the job, None when the upload page refused the file."""
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("villages:import_upload", args=[code, kind]), {"file": upload})
    if response.status_code != 302:
        return response, None
    job = ImportJob.objects.latest("pk")
    if job.status == ImportJob.Status.READY:
        with capture(execute=True):
            client.post(reverse("villages:import_job_confirm", args=[job.pk]))
        job.refresh_from_db()
    return response, job


def _bad_rows(job):
    return sorted({row for row, _column, _message in job.errors})


def test_cadre_import_adds_cadres_and_posts(client, tree, django_capture_on_commit_callbacks):
    upload = xlsx(
        list(CADRE_COLUMNS),
        [_cadre_row(), _cadre_row(姓名="王芳", 性别="女", 身份证号=valid_id_number(), 职务="监委会委员")],
    )
    _response, job = _import(client, django_capture_on_commit_callbacks, tree.users.township, "cadres", upload)
    assert job.status == ImportJob.Status.DONE
    wang = Cadre.objects.get(name="王新")
    assert {(p.committee, p.title) for p in wang.posts.all()} == {
        ("party", "member"),
        ("villagers", "member"),
    }
    assert wang.history.first().history_user == tree.users.township
    assert Cadre.objects.filter(name="王芳", division__code="411103103202").exists()


def test_a_bad_row_rejects_the_whole_file_and_every_bad_row_is_listed(client, tree, django_capture_on_commit_callbacks):
    before = (Cadre.objects.count(), Post.objects.count())
    rows = [
        _cadre_row(),  # good
        _cadre_row(身份证号="110105194912310021"),  # wrong check digit
        _cadre_row(联系电话="12345", 身份证号=valid_id_number()),  # bad phone
        _cadre_row(
            村_社区_区划代码=None, 身份证号=valid_id_number(), **{"村(社区)区划代码": "411103102201"}
        ),  # out of scope
        _cadre_row(职务="村长", 身份证号=valid_id_number()),  # unknown post
        _cadre_row(职务="党组织书记", 身份证号=valid_id_number()),  # secretary already held
    ]
    upload = xlsx(list(CADRE_COLUMNS), rows)
    _response, job = _import(client, django_capture_on_commit_callbacks, tree.users.township, "cadres", upload)
    assert job.status == ImportJob.Status.REFUSED
    assert _bad_rows(job) == [3, 4, 5, 6, 7]
    assert (Cadre.objects.count(), Post.objects.count()) == before


def test_division_import_and_errors(client, tree, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    headers = list(DIVISION_COLUMNS)
    good = [
        ["411103103203", "新建村", "村", "村", 1200, 340],
        ["411103103204", "新华社区", "村", "社区", None, None],
    ]
    _response, job = _import(client, capture, tree.users.county, "divisions", xlsx(headers, good))
    assert job.status == ImportJob.Status.DONE
    assert Division.objects.get(code="411103103204").parent == tree.peicheng
    bad = [
        ["411103103205", "甲村", "村", "镇", None, None],
        ["411103103201", "改名", "村", "村", None, None],  # an update (the code is the key), held back with the rest
        ["411103199205", "乙村", "村", "村", None, None],
        ["411103103206", "丙村", "村", "村", -5, None],
    ]
    _response, job = _import(client, capture, tree.users.county, "divisions", xlsx(headers, bad))
    assert job.status == ImportJob.Status.REFUSED and _bad_rows(job) == [2, 4, 5]
    assert not Division.objects.filter(code__in=["411103103205", "411103103206"]).exists()
    assert Division.objects.get(code="411103103201").name == "梁庄村"


def test_township_staff_cannot_import_divisions(client, tree, django_capture_on_commit_callbacks):
    headers = list(DIVISION_COLUMNS)
    response, job = _import(
        client,
        django_capture_on_commit_callbacks,
        tree.users.township,
        "divisions",
        xlsx(headers, [["411103103203", "新建村", "村", "村", None, None]]),
    )
    assert response.status_code == 403 and job is None
    assert not Division.objects.filter(code="411103103203").exists()


def test_uploads_that_are_not_ledgers_are_refused(client, tree, django_capture_on_commit_callbacks):
    cases = {
        "empty": SimpleUploadedFile("a.xlsx", b""),
        "not xlsx": SimpleUploadedFile("a.csv", b"a,b\n1,2"),
        "fake xlsx": SimpleUploadedFile("a.xlsx", b"this is not a zip file at all"),
        "missing columns": xlsx(["姓名"], [["张三"]]),
    }
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * (200 * 1024 * 1024))
    cases["zip bomb"] = SimpleUploadedFile("bomb.xlsx", bomb.getvalue())
    before = Cadre.objects.count()
    for label, upload in cases.items():
        response, job = _import(client, django_capture_on_commit_callbacks, tree.users.township, "cadres", upload)
        if job is None:  # refused as a whole on the upload page, nothing stored
            assert response.status_code == 200 and response.context["form"].errors, label
        else:  # stored, then refused as a whole by the check (the headers)
            assert job.status == ImportJob.Status.REFUSED and job.message, label
    assert Cadre.objects.count() == before


def test_cadre_ledger_export_masks_for_township_and_neutralises_formulas(client, tree):
    cadre = tree.member.cadre
    Cadre.objects.filter(pk=cadre.pk).update(party_branch='=HYPERLINK("http://x")')
    client.force_login(tree.users.township)
    response = client.get(reverse("villages:cadre_ledger", args=["411103103000"]))
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == list(CADRE_COLUMNS)
    by_name = {r[1]: r for r in rows[1:]}
    assert set(by_name) == {"梁绍正", "梁明", "王立"}
    assert by_name["梁明"][7] == "138****5678"
    assert "********" in by_name["梁明"][8]
    assert by_name["梁明"][6].startswith("'=")
    assert by_name["梁绍正"][9] == "党组织书记;村(居)委会主任"

    client.force_login(tree.users.county)
    rows = list(
        load_workbook(
            io.BytesIO(client.get(reverse("villages:cadre_ledger", args=["411103103000"])).content)
        ).active.iter_rows(values_only=True)
    )
    assert {r[1]: r for r in rows[1:]}["梁明"][7] == "13812345678"


def test_exported_division_ledger_imports_again(client, tree, django_capture_on_commit_callbacks):
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division_ledger", args=["411103000000"]))
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [
        "411103102000",
        "411103102201",
        "411103103000",
        "411103103201",
        "411103103202",
    ]
    Division.objects.filter(code="411103103202").update(code="411103103202")  # unchanged tree
    renamed = [[r[0].replace("411103103202", "411103103209"), *r[1:]] for r in rows[1:] if r[0] == "411103103202"]
    upload = xlsx(list(rows[0]), renamed)
    _response, job = _import(client, django_capture_on_commit_callbacks, tree.users.county, "divisions", upload)
    assert job.status == ImportJob.Status.DONE and job.created_count == 1
    assert Division.objects.filter(code="411103103209", name="王庄村").exists()


def test_the_urban_rural_code_tells_a_village_from_a_community_when_the_type_is_blank(
    client, tree, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    headers = list(DIVISION_COLUMNS)
    rows = [
        ["411103103203", "新建村", "村", None, None, None, "220"],
        ["411103103204", "新华社区", "村", "", None, None, 111],  # a number cell
        ["411103103205", "河西村", "村", "村", None, None, "112"],  # the type, when given, stands
    ]
    _response, job = _import(client, capture, tree.users.county, "divisions", xlsx(headers, rows))
    assert job.status == ImportJob.Status.DONE
    got = {d.code: (d.kind, d.urban_rural) for d in Division.objects.filter(code__in=[r[0] for r in rows])}
    assert got == {
        "411103103203": ("village", "220"),
        "411103103204": ("community", "111"),
        "411103103205": ("village", "112"),
    }
    bad = [
        ["411103103206", "甲村", "村", None, None, None, "999"],
        ["411103103207", "乙村", "村", None, None, None, None],
        ["411103103208", "丙镇", "乡镇", "镇", None, None, "220"],
    ]
    _response, job = _import(client, capture, tree.users.county, "divisions", xlsx(headers, bad))
    assert _bad_rows(job) == [2, 3, 4]
    assert not Division.objects.filter(code__in=[r[0] for r in bad]).exists()
    # The export carries the code back.
    client.force_login(tree.users.county)
    book = load_workbook(io.BytesIO(client.get(reverse("villages:division_ledger", args=[tree.yc.code])).content))
    sheet = book.active
    assert [c.value for c in sheet[1]][-1] == "城乡分类代码"
    assert any(row[0] == "411103103204" and row[-1] == "111" for row in sheet.iter_rows(values_only=True))


def test_the_old_import_pages_lead_to_the_imports_of_the_same_ledger(client, tree):
    client.force_login(tree.users.township)
    code = tree.peicheng.code
    old = reverse("villages:import", args=[code])
    assert client.get(old)["Location"] == reverse("villages:imports", args=[code])
    assert client.get(old + "?kind=cadres")["Location"] == reverse("villages:import_upload", args=[code, "cadres"])
    old = reverse("grids:household_import", args=[tree.liangzhuang.code])
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == reverse("villages:import_upload", args=[tree.liangzhuang.code, "households"])
    # The division pages link the new imports only.
    page = client.get(reverse("villages:division", args=[code])).content.decode()
    assert reverse("villages:imports", args=[code]) in page and old not in page
