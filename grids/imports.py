"""The grids app's imports (villages.imports): grids, party members and the household roll. Natural keys: the grid
code; the party member's national ID number, or name within the village when the roll has none; the household
number, else the head's ID number, else the address and head within the village, so a second household with the same
key is an update, never a copy."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from villages.choices import Level, Role
from villages.imports import clean
from villages.imports.engine import Checked, Column, Importer, Plan, RowProblem, batches, counties_changed
from villages.imports.ledgers import YES_NO
from villages.models import Division
from villages.scopes import has_role
from villages.stats import data_changed
from villages.validators import normalize_id_number, validate_id_number, validate_phone

from .choices import GRID_EDITOR_ROLES, HOUSEHOLD_EDITOR_ROLES, AssignmentRole, DedicatedType, GridKind
from .households import _HISTORY, _THROUGH, insert_rows
from .models import CareTag, Grid, GridAssignment, Household, PartyMember
from .scopes import has_grid_role

GRID_KINDS = clean.Choices(
    {"全科网格": GridKind.COMPREHENSIVE, "专属网格": GridKind.DEDICATED},
    GridKind,
    extra={"全科": GridKind.COMPREHENSIVE, "专属": GridKind.DEDICATED},
)
DEDICATED_TYPES = clean.Choices(
    {"学校": DedicatedType.SCHOOL, "医院": DedicatedType.HOSPITAL, "企业": DedicatedType.ENTERPRISE,
     "市场": DedicatedType.MARKET, "机关单位": DedicatedType.OFFICE},
    DedicatedType,
    extra={"机关": DedicatedType.OFFICE},
)  # fmt: skip
# Masked values (138****5678) come from a ledger exported by a role that does not see personal data: they mean
# "as it is", so such a ledger still imports back unchanged.
KEEP = object()


def _masked(value) -> bool:
    return "*" in clean.text(value)


def _phone(value):
    if _masked(value):
        return KEEP
    phone = clean.digits(value).replace("-", "")
    validate_phone(phone)
    return phone


def _id_number(value):
    if _masked(value):
        return KEEP
    number = normalize_id_number(clean.fold(value))
    validate_id_number(number)
    return number


def _village_code(value) -> str:
    return clean.digits(value)


def _grid_code(value) -> str:
    code = clean.digits(value)
    if len(code) != 15 or not code.isdigit():
        raise ValidationError(_("Expected a 15-digit grid code, read %(v)s.") % {"v": clean.shown(value)})
    return code


def _villages(actor, division, roles) -> dict[str, Division]:
    return {
        d.code: d
        for d in Division.objects.filter(code__startswith=division.prefix, level=Level.VILLAGE)
        if has_role(actor, d.code, roles)
    }


def _village(ctx, value, column: str) -> Division:
    """A village named by its code, or by its name when that is unique under the import's division."""
    village = ctx.villages.get(value) or ctx.village_names.get(clean.fold(value))
    if village is None:
        raise RowProblem(column, _("No village or community you may edit here is %(v)s.") % {"v": clean.shown(value)})
    return village


def _names(villages: dict) -> dict:
    counted: dict[str, list] = {}
    for v in villages.values():
        counted.setdefault(clean.fold(v.name), []).append(v)
    return {name: found[0] for name, found in counted.items() if len(found) == 1}


# Grids ----------------------------------------------------------------------------------------------------------


@dataclass
class _GridContext:
    villages: dict
    village_names: dict
    existing: dict  # code → (pk, values)
    names: dict  # (village code, folded name) → grid code, on the platform
    file_names: dict = field(default_factory=dict)  # the same, from earlier rows → row number


class GridImporter(Importer):
    kind = "grids"
    label = gettext_lazy("Grids")
    filename = "网格台账"
    roles = GRID_EDITOR_ROLES | {Role.COUNTY_OFFICIAL}
    levels = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
    key_label = "网格编码"
    columns = [
        Column("网格编码", "code", gettext_lazy("15 digits: the village's 12-digit code and 3 more."), True,
               _grid_code, example="411103100201001"),
        Column("网格名称", "name", gettext_lazy("Unique within the village."), True, example="第一网格"),
        Column("网格类型", "kind", gettext_lazy("Comprehensive (全科) or dedicated (专属)."), True,
               choices=GRID_KINDS, example="全科网格"),
        Column("专属类型", "dedicated_type", gettext_lazy("For a dedicated grid only: what it covers."),
               choices=DEDICATED_TYPES),
        Column("村(社区)区划代码", "village", gettext_lazy("The village's 12-digit code (or its name)."), True,
               _village_code, example="411103100201", aliases=("村(社区)",)),
        Column("网格员", "worker", gettext_lazy("The full-time grid worker's name (optional)."), example="李红"),
        Column("网格员电话", "worker_phone", gettext_lazy("The grid worker's mobile number (optional)."),
               parse=_phone, example="13903950002"),
    ]  # fmt: skip

    def context(self, *, actor, division):
        villages = _villages(actor, division, self.roles)
        workers = {}
        for grid_id, name, phone in (
            GridAssignment.objects.current()
            .filter(grid__village__code__startswith=division.prefix, role=AssignmentRole.FULL_TIME, user__isnull=True)
            .order_by("grid_id", "start_date", "pk")
            .values_list("grid_id", "person_name", "phone")
        ):
            workers[grid_id] = (name, phone)
        existing, names = {}, {}
        for pk, code, village, name, kind, dedicated in Grid.objects.filter(
            village__code__startswith=division.prefix
        ).values_list("pk", "code", "village__code", "name", "kind", "dedicated_type"):
            existing[code] = (pk, (code, village, name, kind, dedicated, *workers.get(pk, ("", ""))))
            names[(village, clean.fold(name))] = code
        return _GridContext(villages, _names(villages), existing, names)

    def check_row(self, ctx, values, number):
        code = values["code"]
        village = _village(ctx, values["village"], "村(社区)区划代码")
        if not code.startswith(village.code):
            raise RowProblem(
                "网格编码", _("A grid code starts with its village's code %(code)s.") % {"code": village.code}
            )
        kind, dedicated = values["kind"], values["dedicated_type"] or ""
        if kind == GridKind.DEDICATED and not dedicated:
            raise RowProblem("专属类型", _("Say what the dedicated grid covers."))
        if kind == GridKind.COMPREHENSIVE and dedicated:
            raise RowProblem("专属类型", _("A comprehensive grid covers residents; leave this empty."))
        name = values["name"][:60]
        slot = (village.code, clean.fold(name))
        if ctx.names.get(slot, code) != code:
            raise RowProblem("网格名称", _("Grid %(other)s of this village already has this name.")
                             % {"other": ctx.names[slot]})  # fmt: skip
        if slot in ctx.file_names:
            raise RowProblem("网格名称", _("Row %(row)d gives a grid of this village the same name.")
                             % {"row": ctx.file_names[slot]})  # fmt: skip
        ctx.file_names[slot] = number
        found = ctx.existing.get(code)
        old = found[1] if found else None
        if found and old[1] != village.code:
            raise RowProblem("村(社区)区划代码", _("Grid %(code)s belongs to another village on the platform.")
                             % {"code": code})  # fmt: skip
        worker = values["worker"] or (old[5] if old else "")
        phone = values["worker_phone"]
        if phone is KEEP or (phone is None and values["worker"] is None):
            phone = old[6] if old else ""
        row = (code, village.code, name, kind, dedicated, worker[:50], phone or "")
        return Checked(code, row, found[0] if found else None, old)

    def write(self, ctx, *, actor, plan: Plan, progress) -> int:
        done = 0
        today = timezone.localdate()

        def grid(v, pk=None):
            return Grid(pk=pk, code=v[0], village=ctx.villages[v[1]], name=v[2], kind=v[3], dedicated_type=v[4])

        workers = []
        for chunk in batches(plan.creates, 1000):
            for g, v in zip(bulk_create_with_history([grid(v) for v in chunk], Grid, default_user=actor), chunk,
                            strict=True):  # fmt: skip
                if v[5]:
                    workers.append(GridAssignment(grid=g, role=AssignmentRole.FULL_TIME, person_name=v[5],
                                                  phone=v[6], start_date=today))  # fmt: skip
            done += len(chunk)
            progress(done)
        for chunk in batches(plan.updates, 1000):
            bulk_update_with_history([grid(v, pk) for pk, v, _o in chunk], Grid, ["name", "kind", "dedicated_type"],
                                     default_user=actor)  # fmt: skip
            changed = [(pk, v) for pk, v, old in chunk if v[5:] != old[5:]]
            ended = GridAssignment.objects.current().filter(
                grid_id__in=[pk for pk, _v in changed], role=AssignmentRole.FULL_TIME, user__isnull=True
            )
            for assignment in ended:
                assignment.end_date = max(today, assignment.start_date)
            bulk_update_with_history(list(ended), GridAssignment, ["end_date"], default_user=actor)
            workers += [
                GridAssignment(grid_id=pk, role=AssignmentRole.FULL_TIME, person_name=v[5], phone=v[6],
                               start_date=today)
                for pk, v in changed
                if v[5]
            ]  # fmt: skip
            done += len(chunk)
            progress(done)
        bulk_create_with_history(workers, GridAssignment, default_user=actor)
        counties_changed(ctx.villages)
        return done


# Party members --------------------------------------------------------------------------------------------------


@dataclass
class _MemberContext:
    villages: dict
    village_names: dict
    grids: dict  # code → (pk, village code)
    by_id: dict  # ID number → (pk, values)
    by_name: dict  # (village code, name) → [(pk, values)], every member of that name
    file_names: dict = field(default_factory=dict)  # (village code, name) → the first row giving it without an ID
    matched: dict = field(default_factory=dict)  # member pk → the row that matched it


class PartyMemberImporter(Importer):
    kind = "party_members"
    label = gettext_lazy("Party members who link households")
    filename = "联户党员名册"
    roles = HOUSEHOLD_EDITOR_ROLES | {Role.COUNTY_OFFICIAL}
    levels = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
    key_label = "身份证号"
    columns = [
        Column("村(社区)区划代码", "village", gettext_lazy("The village's 12-digit code (or its name)."), True,
               _village_code, example="411103100201", aliases=("村(社区)",)),
        Column("姓名", "name", gettext_lazy("Full name."), True, example="王志强"),
        Column("身份证号", "id_number", gettext_lazy("National ID number (optional; the member's key when given, "
                                                   "else the name within the village: two members of the same name "
                                                   "need it)."), parse=_id_number),
        Column("联系电话", "phone", gettext_lazy("11-digit mobile number (optional)."), parse=_phone,
               example="13703950003"),
        Column("网格编码", "grid", gettext_lazy("The grid the member serves (optional)."), parse=_grid_code,
               example="411103100201001"),
        Column("所在党支部", "branch", gettext_lazy("Party branch (optional)."), example="梁庄村党支部"),
        Column("党员中心户", "central", gettext_lazy("是 or 否 (optional)."), choices=YES_NO, example="否"),
    ]  # fmt: skip

    def context(self, *, actor, division):
        villages = _villages(actor, division, self.roles)
        grids = {
            code: (pk, village)
            for pk, code, village in Grid.objects.filter(village__code__startswith=division.prefix).values_list(
                "pk", "code", "village__code"
            )
        }
        by_id, by_name = {}, {}
        for pk, village, name, id_number, phone, grid, branch, central in PartyMember.objects.filter(
            village__code__startswith=division.prefix
        ).values_list("pk", "village__code", "name", "id_number", "phone", "grid_id", "branch", "is_central_household"):
            found = (pk, (village, name, id_number, phone, grid, branch, central))
            if id_number:
                by_id[id_number] = found
            by_name.setdefault((village, name), []).append(found)
        return _MemberContext(villages, _names(villages), grids, by_id, by_name)

    def _existing(self, ctx, village, name, id_number, number):
        """The member on the platform this row is: by ID number; else by name within the village when that name is
        one member's (a member entered without an ID gets it here)."""
        if id_number and id_number in ctx.by_id:
            return ctx.by_id[id_number]
        named = ctx.by_name.get((village.code, name), [])
        if id_number:
            without = [m for m in named if not m[1][2]]
            return without[0] if len(without) == 1 else None
        if len(named) > 1:
            raise RowProblem("姓名", _("%(village)s has %(n)d party members named %(name)s on the platform; give this "
                                     "one's national ID number (身份证号) to say which.")
                             % {"village": village.name, "n": len(named), "name": name})  # fmt: skip
        slot = (village.code, name)
        if slot in ctx.file_names:
            raise RowProblem("姓名", _("Row %(row)d gives a member of %(village)s with the same name and no ID number: "
                                     "two members of the same name need their national ID numbers (身份证号).")
                             % {"row": ctx.file_names[slot], "village": village.name})  # fmt: skip
        ctx.file_names[slot] = number
        return named[0] if named else None

    def check_row(self, ctx, values, number):
        village = _village(ctx, values["village"], "村(社区)区划代码")
        name = values["name"][:50]
        id_number = values["id_number"] if values["id_number"] is not KEEP else None
        found = self._existing(ctx, village, name, id_number or "", number)
        if found and found[1][0] != village.code:
            raise RowProblem("身份证号", _("This ID number is a party member of another village on the platform."))
        if found:
            other = ctx.matched.setdefault(found[0], number)
            if other != number:
                raise RowProblem("姓名", _("Row %(row)d is the same party member on the platform.") % {"row": other})
        key = ("id", id_number) if id_number else ("name", village.code, name)
        old = found[1] if found else None
        grid_id = old[4] if old else None
        if values["grid"]:
            grid = ctx.grids.get(values["grid"])
            if grid is None or grid[1] != village.code:
                raise RowProblem("网格编码", _("No grid of %(village)s has the code %(code)s.")
                                 % {"village": village.name, "code": values["grid"]})  # fmt: skip
            grid_id = grid[0]
        phone = values["phone"]
        if phone is KEEP or phone is None:
            phone = old[3] if old and phone is KEEP else (phone or "")
        central = values["central"] if values["central"] is not None else (old[6] if old else False)
        id_kept = id_number or (old[2] if old else "")
        row = (village.code, name, id_kept, phone, grid_id, values["branch"] or (old[5] if old else ""), central)
        return Checked(key, row, found[0] if found else None, old)

    def write(self, ctx, *, actor, plan: Plan, progress) -> int:
        done = 0

        def member(v, pk=None):
            return PartyMember(pk=pk, village=ctx.villages[v[0]], name=v[1], id_number=v[2], phone=v[3], grid_id=v[4],
                               branch=v[5], is_central_household=v[6])  # fmt: skip

        for chunk in batches(plan.creates, 2000):
            bulk_create_with_history([member(v) for v in chunk], PartyMember, default_user=actor)
            done += len(chunk)
            progress(done)
        for chunk in batches(plan.updates, 2000):
            fields = ["id_number", "phone", "grid", "branch", "is_central_household"]
            bulk_update_with_history([member(v, pk) for pk, v, _o in chunk], PartyMember, fields, default_user=actor)
            done += len(chunk)
            progress(done)
        counties_changed(ctx.villages)
        return done


# Households -----------------------------------------------------------------------------------------------------


@dataclass
class _HouseholdContext:
    actor: object
    division: Division
    villages: dict
    village_names: dict
    grids: dict  # code → Grid (editable)
    grid_names: dict  # (village code, folded name) → Grid
    out_of_reach: set  # grid codes in the division the actor may not edit
    tags: dict  # folded name → id
    members: dict  # (village id, name) → [ids]
    rows: dict  # pk → values as stored
    by_number: dict
    by_head: dict
    by_address: dict


def _tag_ids(ctx, value) -> tuple:
    text = clean.text(value)
    for separator in (",", "，", ";", "；"):
        text = text.replace(separator, "、")
    ids = set()
    for tag in (t.strip() for t in text.split("、") if t.strip()):
        if clean.fold(tag) not in ctx.tags:
            raise RowProblem("关爱标签", _("The care tag %(tag)s is not in the county's list: %(allowed)s.")
                             % {"tag": clean.shown(tag), "allowed": "、".join(ctx.tag_names)})  # fmt: skip
        ids.add(ctx.tags[clean.fold(tag)])
    return tuple(sorted(ids))


class HouseholdImporter(Importer):
    kind = "households"
    label = gettext_lazy("Households")
    filename = "网格住户台账"
    roles = HOUSEHOLD_EDITOR_ROLES | {Role.COUNTY_OFFICIAL}
    levels = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
    key_label = "户号"
    columns = [
        Column("户号", "number", gettext_lazy("The household number (optional; the household's key when given)."),
               parse=clean.digits, example="4111031002010001"),
        Column("网格编码", "grid", gettext_lazy("The grid's 15-digit code, or its name within the village."), True,
               example="411103100201001", aliases=("网格",)),
        Column("村(社区)区划代码", "village", gettext_lazy("The village (code or name): needed when the grid is "
                                                      "given by its name."), parse=_village_code,
               aliases=("村(社区)",)),
        Column("地址", "address", gettext_lazy("The address."), True, example="梁庄村一组12号"),
        Column("户主姓名", "head_name", gettext_lazy("The head of household."), True, example="赵四"),
        Column("户主身份证号", "head_id", gettext_lazy("The head's ID number (optional; the key when there is no "
                                                   "household number)."), parse=_id_number),
        Column("家庭人口", "members_count", gettext_lazy("A whole number from 1 to 99."), True,
               lambda v: clean.whole_number(v, low=1, high=99), example=4),
        Column("联系电话", "phone", gettext_lazy("11-digit mobile number (optional)."), parse=_phone,
               example="13603950004"),
        Column("关爱标签", "care_tags", gettext_lazy("Care tags from the county's list, separated by 、 (optional).")),
        Column("联户党员", "linked_member", gettext_lazy("The name of a party member of the village (optional).")),
    ]  # fmt: skip

    def context(self, *, actor, division):
        villages = _villages(actor, division, self.roles | {Role.GRID_WORKER})
        grids, grid_names, out = {}, {}, set()
        for grid in Grid.objects.filter(village__code__startswith=division.prefix).select_related("village"):
            if has_grid_role(actor, grid, self.roles):
                grids[grid.code] = grid
                grid_names[(grid.village.code, clean.fold(grid.name))] = grid
            else:
                out.add(grid.code)
        tags = dict(CareTag.objects.filter(active=True).values_list("name", "pk"))
        members: dict = {}
        for pk, village_id, name in PartyMember.objects.filter(village__code__startswith=division.prefix).values_list(
            "pk", "village_id", "name"
        ):
            members.setdefault((village_id, name), []).append(pk)
        households = Household.objects.filter(grid__village__code__startswith=division.prefix)
        tag_links: dict = {}
        for household_id, tag_id in _THROUGH.objects.filter(household__in=households).values_list(
            "household_id", "caretag_id"
        ):
            tag_links.setdefault(household_id, []).append(tag_id)
        rows, by_number, by_head, by_address = {}, {}, {}, {}
        for pk, grid_id, village_id, number, head_id, address, head, count, phone, member in households.values_list(
            "pk",
            "grid_id",
            "grid__village_id",
            "number",
            "head_id_number",
            "address",
            "head_name",
            "members_count",
            "phone",
            "linked_member_id",
        ).iterator(chunk_size=5000):
            rows[pk] = (grid_id, address, head, count, phone, member, tuple(sorted(tag_links.get(pk, ()))), number,
                        head_id)  # fmt: skip
            if number:
                by_number[number] = pk
            if head_id:
                by_head[head_id] = pk
            by_address.setdefault((village_id, address, head), pk)
        ctx = _HouseholdContext(actor, division, villages, _names(villages), grids, grid_names, out,
                                {clean.fold(k): v for k, v in tags.items()}, members, rows, by_number, by_head,
                                by_address)  # fmt: skip
        ctx.tag_names = list(tags)
        ctx.matched = {}  # household id → the row that matched it
        return ctx

    def _grid(self, ctx, values) -> Grid:
        given = values["grid"]
        code = clean.digits(given)
        if code in ctx.grids:
            return ctx.grids[code]
        if code in ctx.out_of_reach:
            raise RowProblem("网格编码", _("You may not edit the households of grid %(code)s.") % {"code": code})
        if values["village"]:
            village = _village(ctx, values["village"], "村(社区)区划代码")
            grid = ctx.grid_names.get((village.code, clean.fold(given)))
            if grid is not None:
                return grid
            raise RowProblem("网格编码", _("%(village)s has no grid coded or named %(v)s.")
                             % {"village": village.name, "v": clean.shown(given)})  # fmt: skip
        message = _("No grid under %(name)s has the code %(v)s; to name a grid by its name, give the village too.")
        raise RowProblem("网格编码", message % {"name": ctx.division.name, "v": clean.shown(given)})

    def check_row(self, ctx, values, number):
        grid = self._grid(ctx, values)
        address, head = values["address"][:200], values["head_name"][:50]
        head_id = values["head_id"]
        household_number = values["number"] or ""
        given_head = head_id if head_id not in (None, KEEP) else ""
        if household_number:
            key, pk = ("number", household_number), ctx.by_number.get(household_number)
        elif given_head:
            key, pk = ("head", given_head), ctx.by_head.get(given_head)
        else:
            key, pk = ("address", grid.village_id, address, head), None
        # A household on the platform without the key given here (entered by hand, or imported before numbers were
        # kept) is the same household when its head or its address and head match.
        for fallback in (ctx.by_head.get(given_head), ctx.by_address.get((grid.village_id, address, head))):
            if pk is None and fallback is not None and not (household_number and ctx.rows[fallback][7]):
                pk = fallback
        if pk is not None:
            other = ctx.matched.setdefault(pk, number)
            if other != number:
                raise RowProblem("户号", _("Row %(row)d is the same household on the platform.") % {"row": other})
        old = ctx.rows.get(pk) if pk else None
        if head_id is KEEP or head_id is None:
            head_id = old[8] if old and head_id is KEEP else (head_id or "")
        phone = values["phone"]
        if phone is KEEP or phone is None:
            phone = old[4] if old and phone is KEEP else (phone or "")
        member_id = None
        if values["linked_member"]:
            found = ctx.members.get((grid.village_id, values["linked_member"]), [])
            if len(found) != 1:
                message = (
                    _("No party member of %(village)s is named %(name)s.")
                    if not found
                    else _("%(village)s has several party members named %(name)s; link the household on its page.")
                )
                raise RowProblem("联户党员", message % {"village": grid.village.name, "name": values["linked_member"]})
            member_id = found[0]
        tags = _tag_ids(ctx, values["care_tags"])
        row = (grid.pk, address, head, values["members_count"], phone, member_id, tags, household_number, head_id)
        return Checked(key, row, pk, old)

    def write(self, ctx, *, actor, plan: Plan, progress) -> int:
        done = 0
        now = timezone.now()
        columns = ["grid_id", "address", "head_name", "members_count", "phone", "linked_member_id", "number",
                   "head_id_number"]  # fmt: skip
        for chunk in batches(plan.creates, 2000):
            flat = [(*v[:6], v[7], v[8]) for v in chunk]
            ids = insert_rows(Household, columns, flat, returning=True)
            insert_rows(
                _HISTORY,
                ["id", *columns, "history_date", "history_change_reason", "history_type", "history_user_id"],
                [(pk, *row, now, "导入", "+", actor.pk) for pk, row in zip(ids, flat, strict=True)],
            )
            insert_rows(_THROUGH, ["household_id", "caretag_id"],
                        [(pk, tag) for pk, v in zip(ids, chunk, strict=True) for tag in v[6]])  # fmt: skip
            done += len(chunk)
            progress(done)
        fields = ["grid", "address", "head_name", "members_count", "phone", "linked_member", "number",
                  "head_id_number"]  # fmt: skip
        for chunk in batches(plan.updates, 1000):
            objs = [
                Household(pk=pk, grid_id=v[0], address=v[1], head_name=v[2], members_count=v[3], phone=v[4],
                          linked_member_id=v[5], number=v[7], head_id_number=v[8])
                for pk, v, _old in chunk
            ]  # fmt: skip
            bulk_update_with_history(objs, Household, fields, default_user=actor)
            retagged = [(pk, v) for pk, v, old in chunk if v[6] != old[6]]
            _THROUGH.objects.filter(household_id__in=[pk for pk, _v in retagged]).delete()
            insert_rows(_THROUGH, ["household_id", "caretag_id"], [(pk, t) for pk, v in retagged for t in v[6]])
            done += len(chunk)
            progress(done)
        data_changed(ctx.division.code)
        return done
