import os
from types import SimpleNamespace

import pytest
import redis as redis_client
from django.conf import settings

from tests.demo_db import FAST_HASHERS, drop_snapshot, snapshot_migrated
from tests.factories import CadreFactory, PostFactory, division, scoped_user
from villages.choices import Committee, DivisionKind, Level, PostTitle, Role

# The demo, built once per run and cloned for each test that asks for ``demo_db``.
pytest_plugins = ["tests.demo_db"]


def pytest_sessionstart(session):
    """When CI names the services, they must answer: a suite that silently fell back to SQLite proves little."""
    if os.environ.get("DATABASE_URL"):
        assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "DATABASE_URL must be PostgreSQL"
    if os.environ.get("REDIS_URL"):
        redis_client.Redis.from_url(os.environ["REDIS_URL"]).ping()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and a copy of it as migrated, which the shared demo starts from
    (tests/demo_db.py); the copy goes at the end of the session."""
    snapshot_migrated(django_db_blocker)
    yield
    drop_snapshot(django_db_blocker)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 at full strength costs ~0.3 s a user; the tests need no protection against brute force.
    settings.PASSWORD_HASHERS = FAST_HASHERS


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from villages.throttle import counters

    cache.clear()
    counters.local.clear()  # the login counters kept in the process while Redis is away
    yield


@pytest.fixture
def tree(db):
    """Two counties. 郾城区 has 裴城镇 (梁庄村, 王庄村) and 商桥镇 (郭栗庄村); 望江县 has 华阳镇 (江边村).

    Users: one per role, each scoped as its name says.
    """
    henan = division("410000000000", "河南省", Level.PROVINCE, DivisionKind.PROVINCE)
    luohe = division("411100000000", "漯河市", Level.CITY, DivisionKind.CITY, henan)
    yc = division("411103000000", "郾城区", Level.COUNTY, DivisionKind.DISTRICT, luohe)
    peicheng = division("411103103000", "裴城镇", Level.TOWNSHIP, DivisionKind.TOWN, yc)
    shangqiao = division("411103102000", "商桥镇", Level.TOWNSHIP, DivisionKind.TOWN, yc)
    liangzhuang = division("411103103201", "梁庄村", Level.VILLAGE, DivisionKind.VILLAGE, peicheng)
    wangzhuang = division("411103103202", "王庄村", Level.VILLAGE, DivisionKind.VILLAGE, peicheng)
    guolizhuang = division("411103102201", "郭栗庄村", Level.VILLAGE, DivisionKind.VILLAGE, shangqiao)
    anhui = division("340000000000", "安徽省", Level.PROVINCE, DivisionKind.PROVINCE)
    anqing = division("340800000000", "安庆市", Level.CITY, DivisionKind.CITY, anhui)
    wj = division("340827000000", "望江县", Level.COUNTY, DivisionKind.COUNTY, anqing)
    huayang = division("340827100000", "华阳镇", Level.TOWNSHIP, DivisionKind.TOWN, wj)
    jiangbian = division("340827100201", "江边村", Level.VILLAGE, DivisionKind.VILLAGE, huayang)

    secretary = PostFactory(cadre=CadreFactory(division=liangzhuang, name="梁绍正"), title=PostTitle.SECRETARY)
    PostFactory(cadre=secretary.cadre, committee=Committee.VILLAGERS, title=PostTitle.CHAIR)
    member = PostFactory(cadre=CadreFactory(division=liangzhuang, name="梁明"), title=PostTitle.MEMBER)
    other = PostFactory(cadre=CadreFactory(division=guolizhuang, name="郭中凡"), title=PostTitle.SECRETARY)
    far = PostFactory(cadre=CadreFactory(division=jiangbian, name="江海"), title=PostTitle.SECRETARY)
    PostFactory(cadre=CadreFactory(division=wangzhuang, name="王立"), title=PostTitle.SECRETARY)

    users = SimpleNamespace(
        county=scoped_user("t_county", yc, Role.COUNTY_OFFICIAL),
        township=scoped_user("t_township", peicheng, Role.TOWNSHIP_STAFF),
        village=scoped_user("t_village", liangzhuang, Role.VILLAGE_SECRETARY),
        grid=scoped_user("t_grid", liangzhuang, Role.GRID_WORKER),
        petition=scoped_user("t_petition", wj, Role.PETITION_OFFICER),
        api=scoped_user("t_api", yc, Role.API_CLIENT),
    )
    return SimpleNamespace(
        henan=henan,
        luohe=luohe,
        yc=yc,
        peicheng=peicheng,
        shangqiao=shangqiao,
        liangzhuang=liangzhuang,
        wangzhuang=wangzhuang,
        guolizhuang=guolizhuang,
        wj=wj,
        huayang=huayang,
        jiangbian=jiangbian,
        secretary=secretary,
        member=member,
        other=other,
        far=far,
        users=users,
    )
