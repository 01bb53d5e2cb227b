import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F, Q

from villages import demo as villages_demo
from villages.choices import Committee, Level, PostTitle, Role
from villages.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, build_plan
from villages.models import Cadre, Division, Post, UserScope
from villages.validators import birth_date_from_id, validate_id_number, validate_phone

YANCHENG = "411103"
PEICHENG = "411103103000"


def load_demo(**options) -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [Division, Cadre, Post, UserScope, get_user_model()]
    totals = {model.__name__: model.objects.count() for model in models}
    totals |= {f"history {m.__name__}": m.history.count() for m in [Division, Cadre, Post, UserScope]}
    return totals


def test_demo_reproduces_the_seed_counties(demo_db):
    output = load_demo(months=0)  # on the run's shared build (tests/demo_db.py): a second run adds nothing

    villages = Division.objects.filter(level=Level.VILLAGE)
    assert villages.filter(code__startswith=YANCHENG).count() == 183
    assert villages.filter(parent__code=PEICHENG).count() == 25
    assert Cadre.objects.filter(division__parent__code=PEICHENG).count() == 134
    assert villages.filter(code__startswith="340827").count() >= 14 * 8
    seed_villages = {"郭栗庄村": "商桥镇", "潘西村": "孟庙镇", "梁庄村": "裴城镇", "齐罗村": "新店镇"}
    for name, township in seed_villages.items():
        assert villages.get(name=name, code__startswith=YANCHENG).parent.name == township
    assert not villages.values("parent", "name").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not Division.objects.filter(valid_from__isnull=True).exists()

    current = Q(posts__end_date__isnull=True)
    holders = villages.annotate(
        secretaries=Count("posts", filter=current & Q(posts__committee=Committee.PARTY,
                                                      posts__title=PostTitle.SECRETARY)),
        chairs=Count("posts", filter=current & Q(posts__committee=Committee.VILLAGERS,
                                                 posts__title=PostTitle.CHAIR)),
        supervisors=Count("posts", filter=current & Q(posts__committee=Committee.SUPERVISION,
                                                      posts__title=PostTitle.SUPERVISION_CHAIR)),
    )  # fmt: skip
    assert set(holders.values_list("secretaries", "chairs", "supervisors")) == {(1, 1, 1)}
    assert not Cadre.objects.filter(posts__committee=Committee.PARTY, is_party_member=False).exists()
    assert not Post.objects.exclude(division=F("cadre__division")).exists()
    assert not Cadre.objects.filter(posts__isnull=True).exists()
    one_shoulder = Cadre.objects.filter(posts__title=PostTitle.SECRETARY).filter(posts__title=PostTitle.CHAIR)
    assert 0.5 < one_shoulder.count() / villages.count() < 0.7

    for cadre in Cadre.objects.select_related("division"):
        validate_id_number(cadre.id_number)
        validate_phone(cadre.phone)
        assert cadre.id_number[:6] == cadre.division.code[:6]
        assert birth_date_from_id(cadre.id_number) == cadre.birth_date
        assert int(cadre.id_number[16]) % 2 == (1 if cadre.gender == "male" else 0)

    scopes = {(s.user.username, s.division.code, s.role) for s in UserScope.objects.select_related("user", "division")}
    liangzhuang = villages.get(name="梁庄村").code
    assert scopes == {
        ("yc_county", "411103000000", Role.COUNTY_OFFICIAL),
        ("yc_peicheng", PEICHENG, Role.TOWNSHIP_STAFF),
        ("yc_liangzhuang", liangzhuang, Role.VILLAGE_SECRETARY),
        ("yc_liangzhuang", liangzhuang, Role.VILLAGE_RECORDER),
        ("yc_grid", "411103001001", Role.GRID_WORKER),
        ("yc_shabei", "411103001000", Role.TOWNSHIP_STAFF),
        ("wj_petition", "340827000000", Role.PETITION_OFFICER),
        ("yc_api", "411103000000", Role.API_CLIENT),
    }
    users = get_user_model().objects.filter(username__in=[username for username, _ in DEMO_ACCOUNTS])
    assert users.count() == len(DEMO_ACCOUNTS)
    assert all(user.first_name for user in users)
    admin = users.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(DEMO_PASSWORD)
    assert "yc_liangzhuang" in output and DEMO_PASSWORD in output

    # The tallies: this year, quarter and month, the review campaign, and the twelve months before for the
    # charts over months; the township level's 36 好 / 92 较好 come out of the campaign's snapshot.
    from villages.metrics import Period
    from villages.models import Snapshot, TallyRun

    periods = set(TallyRun.objects.filter(county__code="411103000000").values_list("period", flat=True))
    assert {Period.current_year().key, Period.current_quarter().key} <= periods
    assert sum(1 for p in periods if Period.parse(p).kind == "month") == 12
    from reviews.demo import CAMPAIGN_NAME
    from reviews.models import Campaign

    campaign = f"C{Campaign.objects.get(name=CAMPAIGN_NAME).pk}"
    assert campaign in periods
    township = {
        s.metric: s.numerator
        for s in Snapshot.objects.filter(
            division_code="411103000000", period=campaign, metric__startswith="reviews.grade.township."
        )
    }
    assert (township["reviews.grade.township.good"], township["reviews.grade.township.fairly_good"]) == (36, 92)


def test_demo_loads_once(demo_db, django_assert_max_num_queries):
    before = counts()
    # Nothing to add: a handful of lookups, never a query per village.
    with django_assert_max_num_queries(10):
        villages_demo.load(io.StringIO())
    assert counts() == before


def test_demo_plan_is_deterministic():
    assert build_plan() == build_plan()
