import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from tests.factories import valid_id_number
from villages.ledgers import CADRE_COLUMNS, DIVISION_COLUMNS
from villages.models import Cadre, Division, Post


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


def _import(client, user, kind, upload, code="411103103000"):
    client.force_login(user)
    return client.post(reverse("villages:import", args=[code]), {"kind": kind, "file": upload})


def test_cadre_import_adds_cadres_and_posts(client, tree):
    upload = xlsx(
        list(CADRE_COLUMNS),
        [_cadre_row(), _cadre_row(姓名="王芳", 性别="女", 身份证号=valid_id_number(), 职务="监委会委员")],
    )
    response = _import(client, tree.users.township, "cadres", upload)
    assert response.status_code == 302
    wang = Cadre.objects.get(name="王新")
    assert {(p.committee, p.title) for p in wang.posts.all()} == {
        ("party", "member"),
        ("villagers", "member"),
    }
    assert wang.history.first().history_user == tree.users.township
    assert Cadre.objects.filter(name="王芳", division__code="411103103202").exists()


def test_a_bad_row_rejects_the_whole_file_and_every_bad_row_is_listed(client, tree):
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
    response = _import(client, tree.users.township, "cadres", xlsx(list(CADRE_COLUMNS), rows))
    assert response.status_code == 200
    errors = response.context["row_errors"]
    assert [n for n, _m in errors] == [3, 4, 5, 6, 7]
    assert (Cadre.objects.count(), Post.objects.count()) == before


def test_division_import_and_errors(client, tree):
    headers = list(DIVISION_COLUMNS)
    good = [
        ["411103103203", "新建村", "村", "村", 1200, 340],
        ["411103103204", "新华社区", "村", "社区", None, None],
    ]
    response = _import(client, tree.users.county, "divisions", xlsx(headers, good))
    assert response.status_code == 302
    assert Division.objects.get(code="411103103204").parent == tree.peicheng
    bad = [
        ["411103103205", "甲村", "村", "镇", None, None],
        ["411103103201", "重复", "村", "村", None, None],
        ["411103199205", "乙村", "村", "村", None, None],
        ["411103103206", "丙村", "村", "村", -5, None],
    ]
    response = _import(client, tree.users.county, "divisions", xlsx(headers, bad))
    assert [n for n, _m in response.context["row_errors"]] == [2, 3, 4, 5]
    assert not Division.objects.filter(code__in=["411103103205", "411103103206"]).exists()


def test_township_staff_cannot_import_divisions(client, tree):
    headers = list(DIVISION_COLUMNS)
    response = _import(
        client,
        tree.users.township,
        "divisions",
        xlsx(headers, [["411103103203", "新建村", "村", "村", None, None]]),
    )
    assert response.status_code == 200 and response.context["row_errors"]
    assert not Division.objects.filter(code="411103103203").exists()


def test_uploads_that_are_not_ledgers_are_refused(client, tree):
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
        response = _import(client, tree.users.township, "cadres", upload)
        assert response.status_code == 200, label
        assert response.context["form"].errors, label
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


def test_exported_division_ledger_imports_again(client, tree):
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
    assert _import(client, tree.users.county, "divisions", upload).status_code == 302
    assert Division.objects.filter(code="411103103209", name="王庄村").exists()


def test_the_urban_rural_code_tells_a_village_from_a_community_when_the_type_is_blank(client, tree):
    headers = list(DIVISION_COLUMNS)
    rows = [
        ["411103103203", "新建村", "村", None, None, None, "220"],
        ["411103103204", "新华社区", "村", "", None, None, 111],  # a number cell
        ["411103103205", "河西村", "村", "村", None, None, "112"],  # the type, when given, stands
    ]
    response = _import(client, tree.users.county, "divisions", xlsx(headers, rows))
    assert response.status_code == 302
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
    response = _import(client, tree.users.county, "divisions", xlsx(headers, bad))
    assert [n for n, _m in response.context["row_errors"]] == [2, 3, 4]
    assert not Division.objects.filter(code__in=[r[0] for r in bad]).exists()
    # The export carries the code back.
    client.force_login(tree.users.county)
    book = load_workbook(io.BytesIO(client.get(reverse("villages:division_ledger", args=[tree.yc.code])).content))
    sheet = book.active
    assert [c.value for c in sheet[1]][-1] == "城乡分类代码"
    assert any(row[0] == "411103103204" and row[-1] == "111" for row in sheet.iter_rows(values_only=True))
