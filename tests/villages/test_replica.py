"""Reads on a real PostgreSQL streaming replica (villages/replica.py).

The machine's own cluster allows no replication connections, so the module makes its own pair: a private primary
(initdb in a temporary folder) holding a copy of the test database, and a standby of it (pg_basebackup -R),
each on a free port; both are stopped and removed afterwards. While the tests run, Django's default connection
points at the private primary and a ``replica`` alias at the standby, as DATABASE_URL and DATABASE_REPLICA_URL
would in production.
"""

import socket
import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client

from tests.reliability.stack import PG_BIN, PrivateCluster, _as_postgres, database_url, wait_for
from villages import replica
from villages.models import Division, Snapshot, UserScope

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="a streaming replica needs PostgreSQL (DATABASE_URL); SQLite has none",
    ),
    # Committed writes (the standby replays only those); the test database is made first, then copied.
    pytest.mark.django_db(transaction=True, databases="__all__"),
]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Standby:
    def __init__(self, primary: PrivateCluster, port: int):
        self.port, self.dir = port, primary.dir / "standby"
        # -c fast: a checkpoint at once, not spread over minutes.
        args = ["-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(self.dir), "-R", "-X", "stream"]
        result = _as_postgres([str(PG_BIN / "pg_basebackup"), *args, "-c", "fast", "--no-sync"])
        assert result.returncode == 0, result.stderr
        options = f"-p {port} -k {primary.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-o", options,
                               "-l", str(primary.dir / "standby.log"), "-w", "start"])  # fmt: skip
        assert result.returncode == 0, result.stderr + result.stdout

    def stop(self):
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.dir), "-m", "immediate", "-w", "stop"])


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker):
    """The private primary (a copy of the test database) and its streaming standby; Django reads and writes them."""
    with django_db_blocker.unblock():
        primary = PrivateCluster(_free_port())
        standby = None
        try:
            primary.start()
            primary.copy_from(database_url(), "shanzhi")  # the test database, made by now
            standby = Standby(primary, _free_port())
            default = connections["default"]
            saved = dict(default.settings_dict)
            default.close()
            default.settings_dict.update(NAME="shanzhi", HOST="127.0.0.1", PORT=str(primary.port), USER="postgres")
            settings.DATABASES["replica"] = {
                **default.settings_dict,
                "PORT": str(standby.port),
                "TEST": {"MIRROR": "default"},
            }
            connections.settings["replica"] = settings.DATABASES["replica"]
            saved_routers = settings.DATABASE_ROUTERS
            settings.DATABASE_ROUTERS = ["villages.replica.ReplicaRouter"]
            from django.db import router

            router.routers = [replica.ReplicaRouter()]
            yield primary, standby
        finally:
            if "replica" in settings.DATABASES:
                connections["replica"].close()
                del connections["replica"]
                connections.settings.pop("replica", None)
                settings.DATABASES.pop("replica", None)
                connections["default"].close()
                connections["default"].settings_dict.update(saved)
                settings.DATABASE_ROUTERS = saved_routers
                router.routers = []
            if standby:
                standby.stop()
            primary.destroy()


@pytest.fixture
def county(pair, django_db_blocker, settings):
    from tests.factories import division, scoped_user
    from villages.choices import DivisionKind, Level, Role

    settings.SHANZHI_REPLICA_CHECK_SECONDS = 0  # measure on every request
    settings.SHANZHI_REPLICA_MAX_LAG_SECONDS = 60
    replica.forget()
    with django_db_blocker.unblock():
        code = f"41{_free_port() % 10000:04d}000000"  # a county of its own for each test
        province = Division.objects.filter(code="410000000000").first() or division(
            "410000000000", "河南省", Level.PROVINCE, DivisionKind.PROVINCE
        )
        city = Division.objects.filter(code=code[:4] + "00000000").first() or division(
            code[:4] + "00000000", "市", Level.CITY, DivisionKind.CITY, parent=province
        )
        place = division(code, "测试县", Level.COUNTY, DivisionKind.COUNTY, parent=city)
        town = division(code[:9] + "000", "老镇名", Level.TOWNSHIP, DivisionKind.TOWN, parent=place)
        user = scoped_user(f"u{code[:6]}", place, Role.COUNTY_OFFICIAL)
        _caught_up()
        yield place, town, user, province
        _resume()


def _standby(sql):
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0] if cursor.description else None


def _caught_up():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        lsn = cursor.fetchone()[0]
    wait_for(lambda: _standby(f"SELECT pg_last_wal_replay_lsn() >= '{lsn}'::pg_lsn"), timeout=20, what="replay")


def _pause():
    _standby("SELECT pg_wal_replay_pause()")


def _resume():
    _standby("SELECT pg_wal_replay_resume()")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_standby_is_a_real_streaming_replica(county):
    assert _standby("SELECT pg_is_in_recovery()") is True
    lag = replica.measure()
    assert lag is not None and lag.bytes == 0 and lag.usable


def test_a_dashboard_reads_the_replica_and_says_how_old_its_figures_are(county, django_db_blocker):
    place, _, user, _ = county
    with django_db_blocker.unblock():
        client = _client(user)
        _caught_up()
        page = client.get(f"/divisions/{place.code}/")
        assert page.status_code == 200
        assert page["X-Shanzhi-Reads"].startswith("replica; lag=")
        assert 'id="figures-age"' in page.content.decode()

        # Replay paused, the county renamed on the primary: the page still shows the replica's name.
        _pause()
        Division.objects.filter(pk=place.pk).update(name="新县名")
        page = client.get(f"/divisions/{place.code}/")
        assert page["X-Shanzhi-Reads"].startswith("replica") and "测试县" in page.content.decode()

        # Behind by more than the threshold: the primary answers, and the page has no replica note.
        settings.SHANZHI_REPLICA_MAX_LAG_SECONDS = 0.5
        time.sleep(0.8)
        page = client.get(f"/divisions/{place.code}/")
        assert page["X-Shanzhi-Reads"] == "primary"
        assert 'id="figures-age"' not in page.content.decode()


def test_a_user_who_just_wrote_reads_the_primary(county, django_db_blocker):
    place, _, user, _ = county
    with django_db_blocker.unblock():
        client = _client(user)
        _pause()
        Division.objects.filter(pk=place.pk).update(name="改过的县")
        assert "测试县" in client.get(f"/divisions/{place.code}/").content.decode()
        # Any write request stamps the browser; its next reads, for a while, are the primary's.
        client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
        assert replica.WROTE_COOKIE in client.cookies
        page = client.get(f"/divisions/{place.code}/")
        assert page["X-Shanzhi-Reads"] == "primary" and "改过的县" in page.content.decode()
        # Another user, who wrote nothing, still reads the replica.
        other = _client(user)
        assert other.get(f"/divisions/{place.code}/")["X-Shanzhi-Reads"].startswith("replica")


def test_the_statistics_api_reads_the_replica_but_never_who_may_read(county, django_db_blocker):
    place, _, user, _ = county
    with django_db_blocker.unblock():
        client = _client(user)
        answer = client.get(f"/api/v1/stats/metrics/villages.village_count/?division={place.code}&period=2026")
        assert answer["X-Shanzhi-Reads"].startswith("replica"), answer.content[:300]
        with replica.replica_reads():
            assert Snapshot.objects.all().db == "replica"
            assert UserScope.objects.all().db == "default"  # a revoked scope ends at once
            assert user.__class__.objects.all().db == "default"


def test_a_tally_reads_the_replica_only_once_it_holds_what_the_primary_held(county, django_db_blocker):
    from villages.snapshots import tally_county

    place, town, _, _ = county
    with django_db_blocker.unblock():
        _pause()
        Division.objects.filter(pk=town.pk).update(name="等重放")
        with replica.tally_reads(wait=0.2) as alias:
            assert alias == "default" and Division.objects.all().db == "default"
        _resume()
        with replica.tally_reads(wait=10) as alias:
            assert alias == "replica" and Division.objects.all().db == "replica"
        run = tally_county(county_code=place.code, period="2026")
        assert run.status == "succeeded"
        assert Snapshot.objects.filter(division_code=place.code, period="2026").exists()
