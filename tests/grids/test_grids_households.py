"""Households: the .xlsx import through the one import engine (villages.imports: every bad row listed, nothing
half-imported, 100,000 rows in bounded memory), the export, masking, party-member links and visits with the coverage
they make."""

import datetime
import io
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from grids import selectors, services
from grids.households import HOUSEHOLD_COLUMNS
from grids.models import GridRules, Household, Visit
from villages.imports import engine, importer_for

HEADERS = list(HOUSEHOLD_COLUMNS)


class Refused(Exception):
    def __init__(self, plan):
        super().__init__(plan.errors)
        self.plan = plan

    @property
    def rows(self) -> dict[int, str]:
        """Each bad row's messages, "column: message" joined."""
        rows: dict[int, list] = {}
        for number, column, message in self.plan.errors:
            rows.setdefault(number, []).append(f"{column}: {message}")
        return {number: "; ".join(found) for number, found in rows.items()}


def households_import(*, actor, division, file) -> int:
    """What a confirmed import job does (villages.imports.services.import_job_run): check the whole file, then write
    it; the rows written."""
    importer = importer_for("households")
    plan = engine.check(importer, actor=actor, division=division, file=file)
    if plan.error_rows:
        raise Refused(plan)
    ctx = importer.context(actor=actor, division=division)
    return importer.write(ctx, actor=actor, plan=plan, progress=lambda n: None)


def xlsx(rows, headers=HEADERS, name="住户.xlsx") -> SimpleUploadedFile:
    """A workbook written row by row (write-only mode), as a county would upload it."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("住户")
    ws.append(headers)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def test_import_adds_households_with_tags_and_members(grids, tree):
    a, c = grids.a.grid, grids.c.grid
    file = xlsx(
        [
            [a.code, "梁庄村2组1号", "梁大山", 4, "13800001111", "独居老人、残疾人", "党员a"],
            [a.code, "梁庄村2组2号", "梁小河", "2", None, None, None],
            [c.code, "王庄村1组9号", "王五", 1, 13900002222, "低保户", "党员c"],
        ]
    )
    count = households_import(actor=tree.users.township, division=tree.peicheng, file=file)
    assert count == 3
    first = Household.objects.get(address="梁庄村2组1号")
    assert first.grid == a and first.members_count == 4 and first.phone == "13800001111"
    assert sorted(first.care_tags.values_list("name", flat=True)) == ["残疾人", "独居老人"]
    assert first.linked_member == grids.a.member
    third = Household.objects.get(address="王庄村1组9号")
    assert third.phone == "13900002222" and third.linked_member == grids.c.member
    assert first.history.get().history_user == tree.users.township


def test_every_bad_row_is_listed_and_nothing_is_saved(grids, tree):
    a, d = grids.a.grid, grids.d.grid
    before = Household.objects.count()
    file = xlsx(
        [
            [a.code, "梁庄村3组1号", "好人", 3, None, None, None],
            ["411103103201999", "梁庄村3组2号", "无网格", 3, None, None, None],
            [a.code, None, "缺地址", 3, None, None, None],
            [a.code, "梁庄村3组3号", None, 0, "1234", None, None],
            [d.code, "郭栗庄村1组1号", "他乡", 2, None, None, None],
            [a.code, "梁庄村3组4号", "也是好人", 2, None, None, None],
            [a.code, "梁庄村3组5号", "标签", 2, None, "外星人", None],
            [a.code, "梁庄村3组6号", "联户", 2, None, None, "不存在的党员"],
        ]
    )
    with translation.override("en"), pytest.raises(Refused) as exc:
        households_import(actor=tree.users.township, division=tree.peicheng, file=file)
    rows = exc.value.rows
    assert sorted(rows) == [3, 4, 5, 6, 8, 9]
    assert "No grid under 裴城镇" in rows[3]
    assert "地址: This column is required" in rows[4]
    assert all(s in rows[5] for s in ("户主姓名: This column is required", "家庭人口:", "联系电话:")), rows[5]
    assert "No grid under 裴城镇" in rows[6]  # 郭栗庄村 lies in 商桥镇
    assert "外星人" in rows[8] and "不存在的党员" in rows[9]
    assert Household.objects.count() == before


def test_grid_worker_imports_only_into_their_own_grids(grids, tree):
    file = xlsx(
        [
            [grids.a.grid.code, "梁庄村4组1号", "甲", 1, None, None, None],
            [grids.b.grid.code, "梁庄村4组2号", "乙", 1, None, None, None],
        ]
    )
    with translation.override("en"), pytest.raises(Refused) as exc:
        households_import(actor=tree.users.grid, division=tree.liangzhuang, file=file)
    assert list(exc.value.rows) == [3]
    assert "may not edit the households" in exc.value.rows[3]
    file = xlsx([[grids.a.grid.code, "梁庄村4组1号", "甲", 1, None, None, None]])
    assert households_import(actor=tree.users.grid, division=tree.liangzhuang, file=file) == 1


def test_missing_columns_and_empty_files_are_refused(grids, tree):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        households_import(actor=tree.users.township, division=tree.peicheng, file=xlsx([], headers=["地址"]))
    assert "missing: 网格编码" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError):
        households_import(actor=tree.users.township, division=tree.peicheng, file=xlsx([], headers=[]))
    with pytest.raises(ValidationError):
        households_import(
            actor=tree.users.township, division=tree.peicheng, file=SimpleUploadedFile("x.xlsx", b"not a zip")
        )


def test_the_row_limit_holds_for_the_household_import(grids, tree, settings):
    """Issue #20, finding 9: SHANZHI_IMPORT_MAX_ROWS rows of data are imported, one more refuses the file
    before a row is read, in the user's language, and nothing is written."""
    settings.SHANZHI_IMPORT_MAX_ROWS = 3
    code = grids.a.grid.code
    rows = [[code, f"梁庄村9组{i}号", f"户主{i}", 2] for i in range(4)]
    before = Household.objects.count()
    with pytest.raises(ValidationError) as exc:
        households_import(actor=tree.users.township, division=tree.peicheng, file=xlsx(rows, headers=HEADERS[:4]))
    assert exc.value.messages == ["文件有 4 行数据，超过上限 3 行，请拆分后分批导入。"]
    assert Household.objects.count() == before
    count = households_import(actor=tree.users.township, division=tree.peicheng, file=xlsx(rows[:3], HEADERS[:4]))
    assert count == 3 and Household.objects.count() == before + 3


def test_100k_rows_import_in_bounded_memory(grids, tree):
    """100,000 rows through the engine: one streaming pass keeps a small tuple per row; inserts go in batches. The
    peak of memory allocated by Python while importing stays far below what holding the rows as dicts or models would
    need."""
    # The grid code as a number, as Excel keeps a column of digits; and only the required columns: tracemalloc
    # slows every allocation, and the optional columns are tested above.
    code = int(grids.a.grid.code)
    file = xlsx(
        ([code, f"梁庄村{i // 100 + 1}组{i % 100 + 1}号", f"户主{i}", i % 6 + 1] for i in range(100_000)),
        headers=["网格编码", "地址", "户主姓名", "家庭人口"],
    )
    before = Household.objects.count()
    tracemalloc.start()
    try:
        count = households_import(actor=tree.users.township, division=tree.peicheng, file=file)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert Household.objects.count() == before + 100_000
    assert peak < 200 * 1024 * 1024, f"peak {peak / 1024 / 1024:.0f} MB"
    first = Household.objects.filter(grid=grids.a.grid, head_name="户主0").get()
    assert first.address == "梁庄村1组1号" and first.members_count == 1
    assert first.history.get().history_type == "+" and first.history.get().history_user == tree.users.township


def test_export_uses_the_import_layout_and_masks_phones(client, grids, tree):
    client.force_login(tree.users.township)
    response = client.get(f"/grids/divisions/{tree.liangzhuang.code}/households.xlsx")
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS
    first = next(r for r in rows if r[2] == "户主a1")
    assert first[4] == "139****5678" and first[5] == "独居老人" and first[6] == "党员a"
    assert all(r[0] == grids.a.grid.code or r[0] == grids.b.grid.code for r in rows[1:])
    client.force_login(tree.users.county)  # county officials read personal data in full
    response = client.get(f"/grids/divisions/{tree.liangzhuang.code}/households.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert any(r[4] == "13912345678" for r in rows)


def test_export_reimports(grids, tree, client):
    client.force_login(tree.users.county)
    response = client.get(f"/grids/divisions/{tree.liangzhuang.code}/households.xlsx")
    file = SimpleUploadedFile("roll.xlsx", response.content)
    importer = importer_for("households")
    plan = engine.check(importer, actor=tree.users.township, division=tree.liangzhuang, file=file)
    assert (plan.error_rows, plan.created, plan.updated, plan.unchanged) == (0, 0, 0, 4)


# Masking ------------------------------------------------------------------------------------------------------


def test_phones_are_masked_on_pages_unless_the_role_needs_them(client, grids, tree):
    household = grids.a.households[0]
    for role, full in (("township", False), ("village", False), ("grid", False), ("county", True)):
        client.force_login(getattr(tree.users, role))
        for url in (household.get_absolute_url(), grids.a.grid.get_absolute_url(), grids.a.member.get_absolute_url()):
            body = client.get(url).content.decode()
            assert ("13912345678" in body or "13700000001" in body) is full, (role, url)
        body = client.get(grids.a.request.get_absolute_url()).content.decode()
        assert ("13912345678" in body) is full
        assert "139****5678" in body or full


def test_history_masks_phones_too(client, grids, tree):
    client.force_login(tree.users.township)
    body = client.get(grids.a.households[0].get_absolute_url()).content.decode()
    assert "13912345678" not in body and "139****5678" in body


# Party members and visits -------------------------------------------------------------------------------------


def test_member_page_lists_linked_households(client, grids, tree):
    services.household_update(actor=tree.users.grid, household=grids.a.households[1], linked_member=grids.a.member)
    client.force_login(tree.users.grid)
    response = client.get(grids.a.member.get_absolute_url())
    assert response.status_code == 200
    linked = [h.address for h in response.context["linked"]]
    assert linked == ["梁庄村1组1号", "梁庄村1组2号"]


def test_linked_member_must_be_of_the_same_village(grids, tree, root):
    with pytest.raises(ValidationError) as exc:
        services.household_update(actor=root, household=grids.a.households[1], linked_member=grids.d.member)
    assert "linked_member" in exc.value.error_dict


def test_visit_by_the_linked_member_or_the_worker(grids, tree):
    first, second = grids.a.households
    visit = services.visit_record(actor=tree.users.grid, household=first, visitor_member=grids.a.member)
    assert visit.visitor_member == grids.a.member and visit.visitor_user is None
    assert visit.created_by == tree.users.grid
    with pytest.raises(ValidationError) as exc:
        services.visit_record(actor=tree.users.grid, household=second, visitor_member=grids.a.member)
    assert "visitor_member" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        services.visit_record(
            actor=tree.users.grid, household=second, visited_on=timezone.localdate() + datetime.timedelta(days=1)
        )
    assert "visited_on" in exc.value.error_dict


def test_coverage_counts_households_visited_in_the_window(grids, tree, root, django_assert_max_num_queries):
    first, second = grids.a.households
    today = timezone.localdate()
    # The fixture visited the first household today; visit it again, and the second 40 days ago.
    services.visit_record(actor=root, household=first, visited_on=today - datetime.timedelta(days=3))
    services.visit_record(actor=root, household=second, visited_on=today - datetime.timedelta(days=40))
    with django_assert_max_num_queries(4):
        rows, _rules, since = selectors.grids_with_figures(user=tree.users.township, division=tree.liangzhuang)
    a = next(g for g in rows if g.pk == grids.a.grid.pk)
    assert (a.visited_count, a.households_count) == (1, 2)  # two visits to one household count once
    assert since == today - datetime.timedelta(days=29)
    # The county widens the window to 60 days: the older visit counts.
    GridRules.objects.create(county=tree.yc, coverage_days=60)
    rows, _rules, since = selectors.grids_with_figures(user=tree.users.township, division=tree.liangzhuang)
    a = next(g for g in rows if g.pk == grids.a.grid.pk)
    assert (a.visited_count, a.households_count) == (2, 2)
    assert Visit.objects.visible_to(tree.users.grid).filter(household__grid=grids.b.grid).count() == 0


def test_household_rule_warns_without_blocking(client, grids, tree):
    GridRules.objects.create(county=tree.yc, households_min=1, households_max=2)
    client.force_login(tree.users.grid)
    url = f"/grids/grid/{grids.a.grid.pk}/households/new/"
    response = client.post(
        url, {"grid": grids.a.grid.pk, "address": "梁庄村9组9号", "head_name": "新户", "members_count": 2, "phone": ""}
    )
    assert response.status_code == 302
    assert Household.objects.filter(grid=grids.a.grid).count() == 3
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("1–2" in m for m in messages), messages
    page = client.get(grids.a.grid.get_absolute_url())
    assert page.context["figures"].rule_flag == "high"
    assert b'data-testid="rule-warning"' in page.content


def test_import_queries_grow_with_batches_not_rows(grids, tree, django_assert_max_num_queries):
    """3,000 rows: a few setup reads, then multi-row INSERTs of a few hundred rows each; no query per row."""
    code = grids.a.grid.code
    file = xlsx([[code, f"梁庄村{i}号", f"户主{i}", 2, None, "独居老人", "党员a"] for i in range(3000)])
    with django_assert_max_num_queries(100):
        assert households_import(actor=tree.users.township, division=tree.peicheng, file=file) == 3000
    assert Household.objects.filter(grid=grids.a.grid, care_tags__name="独居老人").count() == 3001
