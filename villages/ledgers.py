"""The division and cadre ledgers (台账) as .xlsx: one column layout for import and export, so a county can
export, edit and import the same file. A bad row rejects the whole file; every bad row is reported."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from .choices import (
    CADRE_EDITOR_ROLES,
    KINDS_BY_LEVEL,
    LEVEL_ORDER,
    LEVEL_PREFIX_LENGTH,
    SINGLE_HOLDER_TITLES,
    Committee,
    DivisionKind,
    Education,
    Gender,
    Level,
    PostTitle,
    Role,
    UrbanRural,
)
from .excel import RowErrors, parse_date, read_rows
from .models import Cadre, Division, Post
from .reference import village_kind
from .scopes import has_role
from .stats import data_changed
from .validators import (
    mask_birth_date,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)

LEVEL_LABELS = {
    "省": Level.PROVINCE,
    "市": Level.CITY,
    "县": Level.COUNTY,
    "乡镇": Level.TOWNSHIP,
    "村": Level.VILLAGE,
}
KIND_LABELS = {
    "省": DivisionKind.PROVINCE, "市": DivisionKind.CITY, "区": DivisionKind.DISTRICT, "县": DivisionKind.COUNTY,
    "镇": DivisionKind.TOWN, "乡": DivisionKind.TOWNSHIP, "街道": DivisionKind.SUBDISTRICT,
    "开发区": DivisionKind.ZONE, "村": DivisionKind.VILLAGE, "社区": DivisionKind.COMMUNITY,
    # The official list's other kinds (villages/reference), so what "start here" made exports and imports back.
    "直辖市": DivisionKind.MUNICIPALITY, "自治区": DivisionKind.AUTONOMOUS_REGION, "地区": DivisionKind.PREFECTURE,
    "自治州": DivisionKind.AUTONOMOUS_PREFECTURE, "盟": DivisionKind.LEAGUE, "市辖区": DivisionKind.CITY_DISTRICTS,
    "直辖市辖县": DivisionKind.CITY_COUNTIES, "省直辖县级行政区划": DivisionKind.DIRECT_COUNTIES,
    "县级市": DivisionKind.COUNTY_CITY, "自治县": DivisionKind.AUTONOMOUS_COUNTY, "旗": DivisionKind.BANNER,
    "自治旗": DivisionKind.AUTONOMOUS_BANNER, "林区": DivisionKind.FORESTRY_DISTRICT,
    "特区": DivisionKind.SPECIAL_DISTRICT, "不设区的市": DivisionKind.CITY_WITHOUT_COUNTIES,
    "民族乡": DivisionKind.ETHNIC_TOWNSHIP, "苏木": DivisionKind.SUMU, "民族苏木": DivisionKind.ETHNIC_SUMU,
    "农场": DivisionKind.FARM, "林场": DivisionKind.FOREST_FARM, "其他乡级单位": DivisionKind.OTHER,
}  # fmt: skip
GENDER_LABELS = {"男": Gender.MALE, "女": Gender.FEMALE}
EDUCATION_LABELS = {
    "小学": Education.PRIMARY, "初中": Education.JUNIOR, "高中/中专": Education.SENIOR, "高中": Education.SENIOR,
    "中专": Education.SENIOR, "大专": Education.COLLEGE, "本科": Education.BACHELOR, "研究生": Education.POSTGRADUATE,
}  # fmt: skip
POST_LABELS = {
    "党组织书记": (Committee.PARTY, PostTitle.SECRETARY),
    "党组织副书记": (Committee.PARTY, PostTitle.DEPUTY_SECRETARY),
    "党组织委员": (Committee.PARTY, PostTitle.MEMBER),
    "村(居)委会主任": (Committee.VILLAGERS, PostTitle.CHAIR),
    "村(居)委会副主任": (Committee.VILLAGERS, PostTitle.DEPUTY_CHAIR),
    "村(居)委会委员": (Committee.VILLAGERS, PostTitle.MEMBER),
    "监委会主任": (Committee.SUPERVISION, PostTitle.SUPERVISION_CHAIR),
    "监委会委员": (Committee.SUPERVISION, PostTitle.MEMBER),
}
_POST_LABEL_OF = {v: k for k, v in POST_LABELS.items()}
_BOOL_LABELS = {"是": True, "否": False}

DIVISION_COLUMNS = {
    "区划代码": "code",
    "名称": "name",
    "层级": "level",
    "类型": "kind",
    "人口": "population",
    "户数": "households",
    "城乡分类代码": "urban_rural",  # optional: the NBS 111–220; decides 村 or 社区 where 类型 is blank
}
DIVISION_REQUIRED = ["区划代码", "名称", "层级", "类型"]
CADRE_COLUMNS = {
    "村(社区)区划代码": "village", "姓名": "name", "性别": "gender", "出生日期": "birth_date", "学历": "education",
    "是否党员": "is_party_member", "所在党支部": "party_branch", "联系电话": "phone", "身份证号": "id_number",
    "职务": "posts", "任职日期": "start_date", "届次开始年份": "term_start_year",
}  # fmt: skip
CADRE_REQUIRED = ["村(社区)区划代码", "姓名", "性别", "职务", "任职日期"]


def _label(mapping: dict, value) -> str:
    return {v: k for k, v in mapping.items()}.get(value, "")


def _lookup(mapping: dict, value, what: str):
    if value is None:
        raise ValidationError(_("%(what)s is missing.") % {"what": what})
    try:
        return mapping[str(value).strip()]
    except KeyError:
        raise ValidationError(
            _("%(what)s “%(v)s” is not one of: %(allowed)s") % {"what": what, "v": value, "allowed": "、".join(mapping)}
        ) from None


def _int_or_none(value, what):
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("%(what)s must be a whole number.") % {"what": what}) from None
    if number < 0:
        raise ValidationError(_("%(what)s cannot be negative.") % {"what": what})
    return number


def _urban_rural(value, level: str) -> str:
    """The NBS urban-rural code (城乡分类代码) of a village row, "" if blank; only villages and communities have one."""
    if value in (None, ""):
        return ""
    code = str(value).strip()
    if code.endswith(".0"):  # a number cell
        code = code[:-2]
    if level != Level.VILLAGE:
        raise ValidationError(_("Only a village or community has an urban-rural code."))
    if code not in UrbanRural.values:
        raise ValidationError(
            _("Urban-rural code “%(v)s” is not one of: %(allowed)s")
            % {"v": value, "allowed": "、".join(UrbanRural.values)}
        )
    return code


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(str(m) for errs in exc.error_dict.values() for e in errs for m in e.messages)
    return "; ".join(str(m) for m in exc.messages)


@transaction.atomic
def divisions_import(*, actor, file) -> int:
    """Add new divisions below divisions the actor governs as county official. Returns how many were added."""
    errors: list[tuple[int, str]] = []
    new: list[Division] = []
    seen: dict[str, Division] = {}
    rows = list(read_rows(file, DIVISION_COLUMNS, DIVISION_REQUIRED))
    codes = {str(r["code"]) for _n, r in rows if r.get("code")}
    parent_codes = set()
    for code in codes:
        parent_codes.update(code[:n].ljust(12, "0") for n in LEVEL_PREFIX_LENGTH.values() if n < 12)
    existing = {d.code: d for d in Division.objects.filter(code__in=codes | parent_codes)}
    for number, row in rows:
        try:
            code = str(row.get("code") or "").strip()
            if code in existing or code in seen:
                raise ValidationError(_("The code %(code)s already exists.") % {"code": code})
            level = _lookup(LEVEL_LABELS, row.get("level"), _("Level"))
            urban_rural = _urban_rural(row.get("urban_rural"), level)
            if level == Level.VILLAGE and urban_rural and row.get("kind") in (None, ""):
                kind = village_kind(urban_rural)
            else:
                kind = _lookup(KIND_LABELS, row.get("kind"), _("Kind"))
            if kind not in KINDS_BY_LEVEL[level]:
                raise ValidationError(
                    _("Kind “%(k)s” does not belong at level “%(l)s”.") % {"k": row.get("kind"), "l": row.get("level")}
                )
            i = LEVEL_ORDER.index(level)
            if i == 0:
                raise ValidationError(_("Provinces cannot be imported."))
            parent_code = code[: LEVEL_PREFIX_LENGTH[LEVEL_ORDER[i - 1]]].ljust(12, "0")
            parent = existing.get(parent_code) or seen.get(parent_code)
            if parent is None:
                raise ValidationError(_("The parent division %(code)s does not exist.") % {"code": parent_code})
            if not has_role(actor, parent.code, {Role.COUNTY_OFFICIAL}):
                raise ValidationError(_("You may not add divisions under %(name)s.") % {"name": parent.name})
            division = Division(
                code=code,
                name=row.get("name") or "",
                level=level,
                kind=kind,
                parent=parent,
                population=_int_or_none(row.get("population"), _("Population")),
                households=_int_or_none(row.get("households"), _("Households")),
                urban_rural=urban_rural,
            )
            division.full_clean(validate_unique=False)
            seen[code] = division
            new.append(division)
        except ValidationError as exc:
            errors.append((number, _messages(exc)))
    if errors:
        raise RowErrors(errors)
    if not new:
        raise ValidationError(_("The file holds no rows."))
    # Parents first, so a child whose parent is in the same file points at a saved row.
    for level in LEVEL_ORDER:
        batch = [d for d in new if d.level == level]
        for d in batch:
            d.parent = d.parent  # re-reads parent.pk, set when the parent's batch was inserted
        if batch:
            bulk_create_with_history(batch, Division, default_user=actor)
    data_changed(None)
    return len(new)


@transaction.atomic
def cadres_import(*, actor, file) -> int:
    """Add cadres and their posts to villages the actor may edit. Returns how many cadres were added."""
    errors: list[tuple[int, str]] = []
    rows = list(read_rows(file, CADRE_COLUMNS, CADRE_REQUIRED))
    village_codes = {str(r.get("village") or "").strip() for _n, r in rows}
    villages = {d.code: d for d in Division.objects.filter(code__in=village_codes, level=Level.VILLAGE)}
    id_numbers = {normalize_id_number(str(r["id_number"])) for _n, r in rows if r.get("id_number")}
    taken_ids = set(Cadre.objects.filter(id_number__in=id_numbers).values_list("id_number", flat=True))
    held = set(
        Post.objects.filter(division__in=villages.values(), end_date__isnull=True).values_list(
            "division__code", "committee", "title"
        )
    )
    cadres: list[Cadre] = []
    posts: list[list[tuple[str, str]]] = []
    starts = []
    for number, row in rows:
        try:
            code = str(row.get("village") or "").strip()
            village = villages.get(code)
            if village is None:
                raise ValidationError(_("No village or community has the code %(code)s.") % {"code": code})
            if not has_role(actor, code, CADRE_EDITOR_ROLES):
                raise ValidationError(_("You may not edit the cadres of %(name)s.") % {"name": village.name})
            id_number = normalize_id_number(str(row.get("id_number") or ""))
            problems = []
            if id_number:
                try:
                    validate_id_number(id_number)
                except ValidationError as exc:
                    problems.append(_messages(exc))
                if id_number in taken_ids:
                    problems.append(_("The ID number is already registered."))
            phone = str(row.get("phone") or "").strip()
            if phone.endswith(".0"):
                phone = phone[:-2]
            if phone:
                try:
                    validate_phone(phone)
                except ValidationError as exc:
                    problems.append(_messages(exc))
            labels = [
                p.strip()
                for p in str(row.get("posts") or "").replace("、", ";").replace(",", ";").replace("，", ";").split(";")
                if p.strip()
            ]
            if not labels:
                problems.append(_("Give at least one post."))
            post_keys = []
            for label in labels:
                try:
                    post_keys.append(_lookup(POST_LABELS, label, _("Post")))
                except ValidationError as exc:
                    problems.append(_messages(exc))
            for committee, title in post_keys:
                if title in SINGLE_HOLDER_TITLES and (code, committee, title) in held:
                    problems.append(
                        _("%(post)s already has a current holder.") % {"post": _POST_LABEL_OF[(committee, title)]}
                    )
            if problems:
                raise ValidationError(problems)
            cadre = Cadre(
                division=village,
                name=row.get("name") or "",
                gender=_lookup(GENDER_LABELS, row.get("gender"), _("Gender")),
                birth_date=parse_date(row["birth_date"]) if row.get("birth_date") else None,
                education=_lookup(EDUCATION_LABELS, row.get("education"), _("Education"))
                if row.get("education")
                else "",
                is_party_member=_lookup(_BOOL_LABELS, row.get("is_party_member"), _("Party member"))
                if row.get("is_party_member")
                else False,
                party_branch=row.get("party_branch") or "",
                phone=phone,
                id_number=id_number,
                term_start_year=_int_or_none(row.get("term_start_year"), _("Term start year")) or 2021,
            )
            cadre.full_clean(exclude=["division"], validate_unique=False, validate_constraints=False)
            start = parse_date(row.get("start_date")) if row.get("start_date") else None
            if start is None:
                raise ValidationError(_("The start date of the posts is missing."))
            for committee, title in post_keys:
                held.add((code, committee, title))
            if id_number:
                taken_ids.add(id_number)
            cadres.append(cadre)
            posts.append(post_keys)
            starts.append(start)
        except ValidationError as exc:
            errors.append((number, _messages(exc)))
    if errors:
        raise RowErrors(errors)
    if not cadres:
        raise ValidationError(_("The file holds no rows."))
    # PostgreSQL and SQLite return the new ids from a bulk insert, so posts can point at them directly.
    created = bulk_create_with_history(cadres, Cadre, default_user=actor)
    new_posts = [
        Post(cadre=c, division_id=c.division_id, committee=committee, title=title, start_date=start)
        for c, keys, start in zip(created, posts, starts, strict=True)
        for committee, title in keys
    ]
    bulk_create_with_history(new_posts, Post, default_user=actor)
    data_changed(None)
    return len(created)


def division_ledger_rows(divisions):
    for d in divisions:
        yield [
            d.code,
            d.name,
            _label(LEVEL_LABELS, d.level),
            _label(KIND_LABELS, d.kind),
            d.population,
            d.households,
            d.urban_rural,
        ]


def cadre_ledger_rows(cadres, *, full_personal_data: bool):
    for c in cadres:
        labels = ";".join(_POST_LABEL_OF.get((p.committee, p.title), "") for p in c.current_posts)
        start = min((p.start_date for p in c.current_posts), default=None)
        yield [
            c.division.code, c.name, _label(GENDER_LABELS, c.gender),
            c.birth_date if full_personal_data else mask_birth_date(c.birth_date),
            {v: k for k, v in EDUCATION_LABELS.items() if k != "高中"}.get(c.education, ""),
            "是" if c.is_party_member else "否", c.party_branch,
            c.phone if full_personal_data else mask_phone(c.phone),
            c.id_number if full_personal_data else mask_id_number(c.id_number),
            labels, start, c.term_start_year,
        ]  # fmt: skip
