"""The division and cadre ledgers (台账) as .xlsx exports, in the column layout the imports (villages.imports) read
back, so a county can export, edit and import the same file."""

from .choices import (
    Committee,
    DivisionKind,
    Education,
    Gender,
    Level,
    PostTitle,
)
from .validators import (
    mask_birth_date,
    mask_id_number,
    mask_phone,
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

DIVISION_COLUMNS = {
    "区划代码": "code",
    "名称": "name",
    "层级": "level",
    "类型": "kind",
    "人口": "population",
    "户数": "households",
    "城乡分类代码": "urban_rural",  # optional: the NBS 111–220; decides 村 or 社区 where 类型 is blank
}
CADRE_COLUMNS = {
    "村(社区)区划代码": "village", "姓名": "name", "性别": "gender", "出生日期": "birth_date", "学历": "education",
    "是否党员": "is_party_member", "所在党支部": "party_branch", "联系电话": "phone", "身份证号": "id_number",
    "职务": "posts", "任职日期": "start_date", "届次开始年份": "term_start_year",
}  # fmt: skip


def _label(mapping: dict, value) -> str:
    return {v: k for k, v in mapping.items()}.get(value, "")


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
