"""The villages app's imports: the division ledger (townships, villages and communities) and the cadre roster with
their posts. Natural keys: the division code; the cadre's national ID number, or name + village where there is none.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from ..choices import (
    CADRE_EDITOR_ROLES,
    KINDS_BY_LEVEL,
    LEVEL_ORDER,
    LEVEL_PREFIX_LENGTH,
    SINGLE_HOLDER_TITLES,
    DivisionKind,
    Education,
    Gender,
    Level,
    Role,
    UrbanRural,
)
from ..ledgers import EDUCATION_LABELS, GENDER_LABELS, KIND_LABELS, LEVEL_LABELS, POST_LABELS
from ..models import Cadre, Division, Post
from ..reference import village_kind
from ..stats import data_changed
from ..validators import normalize_id_number, validate_id_number, validate_phone
from . import clean
from .engine import Checked, Column, Importer, Plan, RowProblem, batches, counties_changed

LEVELS = clean.Choices(LEVEL_LABELS, Level, extra={"乡": Level.TOWNSHIP, "镇": Level.TOWNSHIP, "社区": Level.VILLAGE})
KINDS = clean.Choices(KIND_LABELS, DivisionKind)
URBAN_RURAL = clean.Choices({v: v for v in UrbanRural.values}, UrbanRural)
GENDERS = clean.Choices(GENDER_LABELS, Gender, extra={"男性": Gender.MALE, "女性": Gender.FEMALE})
EDUCATIONS = clean.Choices(
    {k: v for k, v in EDUCATION_LABELS.items() if k not in ("高中", "中专")},
    Education,
    extra={"高中": Education.SENIOR, "中专": Education.SENIOR, "大学本科": Education.BACHELOR},
)
YES_NO = clean.Choices({"是": True, "否": False}, extra={"Y": True, "N": False, "党员": True, "群众": False})
POSTS = clean.Choices(POST_LABELS, extra={"村委会主任": POST_LABELS["村(居)委会主任"],
                                          "居委会主任": POST_LABELS["村(居)委会主任"],
                                          "村党支部书记": POST_LABELS["党组织书记"],
                                          "支部书记": POST_LABELS["党组织书记"]})  # fmt: skip
_POST_SEPARATORS = ("、", ",", "，", ";", "；", "/")


def _id_number(value) -> str:
    number = normalize_id_number(clean.fold(value))
    validate_id_number(number)
    return number


def _phone(value) -> str:
    phone = clean.digits(value).replace("-", "")
    validate_phone(phone)
    return phone


def _posts(value) -> frozenset:
    text = clean.text(value)
    for separator in _POST_SEPARATORS[1:]:
        text = text.replace(separator, _POST_SEPARATORS[0])
    return frozenset(POSTS(part) for part in text.split(_POST_SEPARATORS[0]) if part.strip())


def _code(value) -> str:
    code = clean.digits(value)
    if len(code) != 12 or not code.isdigit():
        from django.core.exceptions import ValidationError

        raise ValidationError(_("Expected a 12-digit code, read %(v)s.") % {"v": clean.shown(value)})
    return code


def _count(value):
    return clean.whole_number(value, low=0, high=100_000_000)


@dataclass
class _DivisionContext:
    division: Division
    existing: dict  # code → (pk, level, values)
    new_levels: dict = field(default_factory=dict)  # code → level, for rows earlier in the file


class DivisionImporter(Importer):
    kind = "divisions"
    label = gettext_lazy("Townships, villages and communities")
    filename = "区划台账"
    roles = {Role.COUNTY_OFFICIAL}
    levels = {Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP}
    key_label = "区划代码"
    columns = [
        Column("区划代码", "code", gettext_lazy("The 12-digit statistical code."), True, _code, example="411103100201"),
        Column("名称", "name", gettext_lazy("The name, as in the official list."), True, example="梁庄村"),
        Column("层级", "level", gettext_lazy("The level."), True, choices=LEVELS, example="村"),
        Column(
            "类型",
            "kind",
            gettext_lazy("The kind; a village's may be left blank when its urban-rural code is given."),
            choices=KINDS,
            example="村",
        ),
        Column("人口", "population", gettext_lazy("Registered population (optional)."), parse=_count, example=1860),
        Column("户数", "households", gettext_lazy("Households (optional)."), parse=_count, example=452),
        Column(
            "城乡分类代码",
            "urban_rural",
            gettext_lazy("The NBS urban-rural code of a village or community (optional): 1xx urban, 2xx rural."),
            choices=URBAN_RURAL,
            example="220",
        ),
    ]

    def context(self, *, actor, division):
        rows = Division.objects.filter(code__startswith=division.prefix).values_list(
            "pk", "code", "level", "name", "kind", "population", "households", "urban_rural"
        )
        existing = {
            code: (pk, level, (name, level, kind, pop, hh, ur)) for pk, code, level, name, kind, pop, hh, ur in rows
        }
        return _DivisionContext(division=division, existing=existing)

    def check_row(self, ctx, values, number):
        code, level = values["code"], values["level"]
        top = ctx.division
        if not code.startswith(top.prefix) or code == top.code:
            raise RowProblem("区划代码", _("The code %(code)s does not lie under %(name)s (%(prefix)s…).")
                             % {"code": code, "name": top.name, "prefix": top.prefix})  # fmt: skip
        if LEVEL_ORDER.index(level) <= LEVEL_ORDER.index(top.level):
            raise RowProblem("层级", _("Only levels below %(name)s are imported here.") % {"name": top.name})
        if code[LEVEL_PREFIX_LENGTH[level] :].strip("0"):
            raise RowProblem("层级", _("The code %(code)s is not the code of a %(level)s.")
                             % {"code": code, "level": LEVELS.label(level)})  # fmt: skip
        urban_rural = values["urban_rural"] or ""
        if urban_rural and level != Level.VILLAGE:
            raise RowProblem("城乡分类代码", _("Only a village or community has an urban-rural code."))
        kind = values["kind"] or (village_kind(urban_rural) if level == Level.VILLAGE and urban_rural else None)
        if kind is None:
            raise RowProblem("类型", _("This column is required (or, for a village, the urban-rural code)."))
        if kind not in KINDS_BY_LEVEL[level]:
            raise RowProblem("类型", _("The kind “%(kind)s” does not belong at the level “%(level)s”.")
                             % {"kind": KINDS.label(kind) or kind, "level": LEVELS.label(level)})  # fmt: skip
        parent_code = code[: LEVEL_PREFIX_LENGTH[LEVEL_ORDER[LEVEL_ORDER.index(level) - 1]]].ljust(12, "0")
        if parent_code != top.code and parent_code not in ctx.existing and parent_code not in ctx.new_levels:
            raise RowProblem("区划代码", _("The parent division %(code)s is neither on the platform nor in an earlier "
                                       "row of the file.") % {"code": parent_code})  # fmt: skip
        stored = (values["name"][:100], level, kind, values["population"], values["households"], urban_rural)
        found = ctx.existing.get(code)
        if found is None:
            ctx.new_levels[code] = level
            return Checked(code, (code, parent_code, *stored))
        pk, old_level, old = found
        if old_level != level:
            raise RowProblem("层级", _("%(code)s is a %(level)s on the platform.")
                             % {"code": code, "level": LEVELS.label(old_level)})  # fmt: skip
        return Checked(code, (code, parent_code, *stored), pk, (code, parent_code, *old))

    def write(self, ctx, *, actor, plan: Plan, progress) -> int:
        done = 0
        saved = {ctx.division.code: ctx.division.pk} | {code: pk for code, (pk, _l, _v) in ctx.existing.items()}
        for level in LEVEL_ORDER:  # parents first: a child whose parent is in the same file points at a saved row
            batch = [
                Division(code=code, parent_id=saved[parent], name=name, level=lv, kind=kind, population=pop,
                         households=hh, urban_rural=ur)
                for code, parent, name, lv, kind, pop, hh, ur in plan.creates
                if lv == level
            ]  # fmt: skip
            for chunk in batches(batch, 2000):
                for d in bulk_create_with_history(chunk, Division, default_user=actor):
                    saved[d.code] = d.pk
                done += len(chunk)
                progress(done)
        fields = ["name", "kind", "population", "households", "urban_rural"]
        updates = [
            Division(pk=pk, code=code, parent_id=saved[parent], name=name, level=lv, kind=kind, population=pop,
                     households=hh, urban_rural=ur)
            for pk, (code, parent, name, lv, kind, pop, hh, ur), _old in plan.updates
        ]  # fmt: skip
        for chunk in batches(updates, 2000):
            bulk_update_with_history(chunk, Division, fields, default_user=actor)
            done += len(chunk)
            progress(done)
        data_changed(ctx.division.code)
        return done

    def export_rows(self, divisions):
        for d in divisions:
            level, kind = LEVELS.label(d.level), KINDS.label(d.kind)
            yield [d.code, d.name, level, kind, d.population, d.households, d.urban_rural]


@dataclass
class _CadreContext:
    actor: object
    villages: dict  # code → Division
    by_id: dict  # id number → cadre
    by_name: dict  # (village code, name) → cadre, for cadres without an ID number
    held: dict  # (village code, committee, title) → cadre pk, single-holder posts held now
    claimed: dict = field(default_factory=dict)  # the same, claimed by earlier rows of the file → row number


@dataclass(frozen=True)
class _Cadre:
    pk: int
    values: tuple
    posts: frozenset


class CadreImporter(Importer):
    kind = "cadres"
    label = gettext_lazy("Village cadres and their posts")
    filename = "村干部花名册"
    roles = CADRE_EDITOR_ROLES
    levels = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}
    key_label = "身份证号"
    columns = [
        Column("村(社区)区划代码", "village", gettext_lazy("The 12-digit code of the village or community."), True,
               _code, example="411103100201", aliases=("村(社区)代码", "区划代码")),
        Column("姓名", "name", gettext_lazy("Full name."), True, example="张建国"),
        Column("性别", "gender", gettext_lazy("Gender."), True, choices=GENDERS, example="男"),
        Column("出生日期", "birth_date", gettext_lazy("Birth date (optional), e.g. 1975-06-01 or 1975.6.1."),
               parse=clean.date, example="1975.6.1"),
        Column("学历", "education", gettext_lazy("Education (optional)."), choices=EDUCATIONS, example="高中/中专"),
        Column("是否党员", "is_party_member", gettext_lazy("Party member: 是 or 否 (optional, 否 when blank)."),
               choices=YES_NO, example="是"),
        Column("所在党支部", "party_branch", gettext_lazy("Party branch (optional)."), example="梁庄村党支部"),
        Column("联系电话", "phone", gettext_lazy("11-digit mobile number (optional)."), parse=_phone,
               example="13803950001"),
        Column("身份证号", "id_number", gettext_lazy("National ID number (optional; without it the cadre is matched "
                                                   "by name within the village)."), parse=_id_number),
        Column("职务", "posts", gettext_lazy("One or more posts, separated by 、 or ;."),
               True, _posts, example="党组织书记、村(居)委会主任"),
        Column("任职日期", "start_date", gettext_lazy("The date the posts began (required for a new post)."),
               parse=clean.date, example="2021.3.15"),
        Column("届次开始年份", "term_start_year", gettext_lazy("Year of the election that began the term (optional)."),
               parse=lambda v: clean.whole_number(v, low=1990, high=2100), example=2021),
    ]  # fmt: skip

    def context(self, *, actor, division):
        from ..scopes import has_role

        villages = {
            d.code: d
            for d in Division.objects.filter(code__startswith=division.prefix, level=Level.VILLAGE)
            if has_role(actor, d.code, self.roles)
        }
        by_id, by_name = {}, {}
        posts: dict[int, set] = {}
        held = {}
        for cadre_id, code, committee, title in Post.objects.filter(
            division__code__startswith=division.prefix, end_date__isnull=True
        ).values_list("cadre_id", "division__code", "committee", "title"):
            posts.setdefault(cadre_id, set()).add((committee, title))
            if title in SINGLE_HOLDER_TITLES:
                held[(code, committee, title)] = cadre_id
        for c in Cadre.objects.filter(division__code__startswith=division.prefix, active=True).values_list(
            "pk",
            "division__code",
            "name",
            "gender",
            "birth_date",
            "education",
            "is_party_member",
            "party_branch",
            "phone",
            "id_number",
            "term_start_year",
        ):
            cadre = _Cadre(c[0], tuple(c[1:]), frozenset(posts.get(c[0], ())))
            if c[9]:
                by_id[c[9]] = cadre
            else:
                by_name[(c[1], c[2])] = cadre
        return _CadreContext(actor=actor, villages=villages, by_id=by_id, by_name=by_name, held=held)

    def check_row(self, ctx, values, number):
        code = values["village"]
        if code not in ctx.villages:
            raise RowProblem("村(社区)区划代码", _("No village or community you may edit has the code %(code)s.")
                             % {"code": code})  # fmt: skip
        name = values["name"][:50]
        id_number = values["id_number"] or ""
        key = ("id", id_number) if id_number else ("name", code, name)
        existing = ctx.by_id.get(id_number) if id_number else ctx.by_name.get((code, name))
        if existing is None and id_number:
            existing = ctx.by_name.get((code, name))  # the ID number added to a cadre entered without one
        old = existing.values if existing else None
        stored = (
            code,
            name,
            values["gender"],
            values["birth_date"] if values["birth_date"] is not None else (old[3] if old else None),
            values["education"] or "",
            bool(values["is_party_member"]),
            values["party_branch"] or "",
            values["phone"] or "",
            id_number,
            values["term_start_year"] or (old[9] if old else Cadre._meta.get_field("term_start_year").default),
        )
        held_posts = existing.posts if existing else frozenset()
        adding = values["posts"] - held_posts
        for committee, title in adding:
            if title not in SINGLE_HOLDER_TITLES:
                continue
            slot = (code, committee, title)
            holder = ctx.held.get(slot)
            label = POSTS.label((committee, title))
            if holder is not None and (existing is None or holder != existing.pk):
                raise RowProblem("职务", _("%(post)s of this village already has a current holder; record a change "
                                         "of holder as an adjustment.") % {"post": label})  # fmt: skip
            if slot in ctx.claimed:
                raise RowProblem("职务", _("Row %(row)d already gives %(post)s of this village.")
                                 % {"row": ctx.claimed[slot], "post": label})  # fmt: skip
            ctx.claimed[slot] = number
        if adding and values["start_date"] is None:
            raise RowProblem("任职日期", _("A new post needs the date it began."))
        start = values["start_date"] if adding else None
        posts = held_posts | values["posts"]
        row = (*stored, posts, start)
        if existing is None:
            return Checked(key, row)
        return Checked(key, row, existing.pk, (*old, held_posts, None))

    def write(self, ctx, *, actor, plan: Plan, progress) -> int:
        done = 0
        fields = ["name", "gender", "birth_date", "education", "is_party_member", "party_branch", "phone",
                  "id_number", "term_start_year"]  # fmt: skip

        def cadre(values, pk=None):
            return Cadre(pk=pk, division=ctx.villages[values[0]], **dict(zip(fields, values[1:10], strict=True)))

        new_posts = []
        for chunk in batches(plan.creates, 1000):
            created = bulk_create_with_history([cadre(v) for v in chunk], Cadre, default_user=actor)
            new_posts += [
                Post(cadre=c, division_id=c.division_id, committee=committee, title=title, start_date=v[11])
                for c, v in zip(created, chunk, strict=True)
                for committee, title in sorted(v[10])
            ]
            done += len(chunk)
            progress(done)
        for chunk in batches(plan.updates, 1000):
            bulk_update_with_history([cadre(v, pk) for pk, v, _old in chunk], Cadre, fields, default_user=actor)
            new_posts += [
                Post(cadre_id=pk, division_id=ctx.villages[v[0]].pk, committee=committee, title=title,
                     start_date=v[11])
                for pk, v, old in chunk
                for committee, title in sorted(v[10] - old[10])
            ]  # fmt: skip
            done += len(chunk)
            progress(done)
        for chunk in batches(new_posts, 2000):
            bulk_create_with_history(chunk, Post, default_user=actor)
        counties_changed(ctx.villages)
        return done
