"""Figures right after the data (issue 22) and one mechanism that asks for them (issue 24): the metrics' declared
models, the signal receiver, the embedded runner, the shared cache, "recompute now", and rules with no data."""

import subprocess
import sys

import pytest
from django.db import connection
from django.db.models import ForeignKey, OneToOneField
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.urls import reverse

from tests.factories import PostFactory
from villages import recompute, snapshots
from villages.cache import SharedFileCache
from villages.choices import Level, PostTitle
from villages.metrics import Period, read_models, registry
from villages.models import Division, StarCondition, StarProposal, StarType, TallyRequest
from villages.snapshots import tally_county
from villages.stats import publish_version, snapshot_version


def forget_asked():
    """A test's body is one transaction: forget what the fixture's writes asked for (after a real commit nothing of
    it is left), so that the test's own writes ask again."""
    connection.run_on_commit = [c for c in connection.run_on_commit if not isinstance(c[1], snapshots._Asked)]


def asked_for() -> dict[str, set[str]]:
    return {c[1].county_code: set(c[1].periods) for c in connection.run_on_commit if isinstance(c[1], snapshots._Asked)}


# --- the registry: every metric declares what it reads, and each declared model is followed -----------------


def test_every_metric_declares_the_models_it_reads():
    assert all(spec.reads for spec in registry().values())
    labels = {m._meta.label for m in read_models()}
    assert {"petitions.Petition", "petitions.Dispute", "grids.Visit", "grids.Household", "reviews.Review"} <= labels
    assert {"VillagerMeeting", "CollectiveIncome", "Post"} <= {m.__name__ for m in read_models()}


def _bare_chain(model, path: str, village: Division):
    """An unsaved row of ``model`` whose declared path leads to ``village`` (or to a grid of it): each step's
    related row is a bare instance put in the relation's cache, so following the path reads no table."""
    if not path:
        return village
    root = obj = model()
    names = path.split(".")
    for i, name in enumerate(names):
        field = obj._meta.get_field(name)
        assert isinstance(field, ForeignKey | OneToOneField), f"{model.__name__}.{path}: {name} is no relation"
        last = i == len(names) - 1
        target = field.related_model
        if last and target is Division:
            related = village
        elif last:
            related = target(code=f"{village.code}001")  # a grid: its code begins with its village's
        else:
            related = target()
        field.set_cached_value(obj, related)
        obj = related
    return root


@pytest.mark.parametrize("label", sorted(m._meta.label for m in read_models()))
def test_a_write_to_each_declared_model_asks_for_its_county(tree, label, django_capture_on_commit_callbacks):
    """Derived from the registry: a row of every model a metric reads, written, asks for its county's recompute
    (the periods beat keeps fresh) in the write's transaction, and for no other county."""
    model = next(m for m in read_models() if m._meta.label == label)
    source = read_models()[model]
    village = tree.yc if source.division in {"county", "division"} and model.__name__ in {
        "GridRules", "Problem", "DeadlineRules", "Campaign"} else Division.objects.get(code="411103103201")  # fmt: skip
    instance = _bare_chain(model, source.division, village)
    forget_asked()
    with django_capture_on_commit_callbacks() as callbacks:
        recompute.figures_touched(sender=model, instance=instance, created=True)
    asked = asked_for()
    assert set(asked) == {"411103000000"}
    assert Period.current_year().key in asked["411103000000"]
    assert any(isinstance(c, snapshots._Asked) for c in callbacks)


def test_the_receiver_listens_to_saves_deletes_and_m2m_changes():
    for signal in (post_save, post_delete, m2m_changed):
        assert any(key[0] == "villages.recompute." + {post_save: "save", post_delete: "delete"}.get(signal, "m2m")
                   for key, *_rest in signal.receivers)  # fmt: skip


def test_a_real_save_asks_once_per_transaction_and_a_rollback_asks_nothing(tree, django_capture_on_commit_callbacks):
    forget_asked()
    before = TallyRequest.objects.count()
    village = Division.objects.get(code="411103103201")
    with django_capture_on_commit_callbacks():
        PostFactory(cadre__division=village, title=PostTitle.MEMBER)
        PostFactory(cadre__division=village, title=PostTitle.MEMBER)  # same transaction and county: asked once
    periods = asked_for()["411103000000"]
    assert TallyRequest.objects.count() == before + len(periods)


def test_a_bulk_write_names_its_models_and_asks_once(tree):
    from villages.models import TallyRun
    from villages.stats import data_changed

    forget_asked()
    data_changed("411103103201", models=[TallyRun])  # read by no metric: no recompute
    assert asked_for() == {}
    data_changed("411103103201", models=[Division])
    data_changed("411103102201", models=[Division])
    assert set(asked_for()) == {"411103000000"}


def test_petitions_and_grids_services_no_longer_ask_by_hand():
    import inspect

    import grids.services
    import petitions.services

    for module in (grids.services, petitions.services):
        assert "recompute_after_change" not in inspect.getsource(module)


# --- the embedded runner ----------------------------------------------------------------------------------


def test_the_embedded_runner_coalesces_a_burst_into_one_run_per_county_and_period(monkeypatch):
    runs = []
    monkeypatch.setattr(snapshots, "tally_county", lambda **kw: runs.append((kw["county_code"], kw["period"])))
    runner = recompute.EmbeddedRunner()
    for _i in range(20):
        runner.schedule("411103000000", {"2026", "2026-Q4"}, delay=0.3)
    runner.schedule("340827000000", {"2026"}, delay=0.3)
    assert runs == []  # nothing in the caller's thread
    assert runner.wait_idle(10)
    assert sorted(runs) == [("340827000000", "2026"), ("411103000000", "2026"), ("411103000000", "2026-Q4")]


def test_the_embedded_runner_carries_on_after_a_failed_tally(monkeypatch):
    def tally(**kw):
        if kw["county_code"] == "411103000000":
            raise RuntimeError("disk full")
        done.append(kw["county_code"])

    done = []
    monkeypatch.setattr(snapshots, "tally_county", tally)
    runner = recompute.EmbeddedRunner()
    runner.schedule("411103000000", {"2026"}, delay=0)
    runner.schedule("340827000000", {"2026"}, delay=0.2)
    assert runner.wait_idle(10)
    assert done == ["340827000000"]


# --- no cached version outlives a tally, in any process ------------------------------------------------------


def test_the_shared_file_cache_is_one_cache_for_two_processes(tmp_path, tree):
    """The bug: a per-process cache kept "never tallied" for 24 hours after `manage.py tally` ran elsewhere. Two
    instances of the embedded cache (two processes' views of it) read each other's versions at once."""
    server = SharedFileCache(str(tmp_path), {})
    command = SharedFileCache(str(tmp_path), {})
    server.set("snapshot-version:411103000000:2026", 0, 3600)  # the server read "never"
    command.set("snapshot-version:411103000000:2026", 42, 3600)  # the tally published its run
    assert server.get("snapshot-version:411103000000:2026") == 42
    server.add("data-version", 0, None)
    for _i in range(5):
        server.incr("data-version")
        command.incr("data-version")
    assert server.get("data-version") == command.get("data-version") == 10


def test_another_process_sees_a_version_at_once(tmp_path):
    script = (
        "import sys; from django.conf import settings; settings.configure();"
        "from villages.cache import SharedFileCache;"
        "c = SharedFileCache(sys.argv[1], {}); c.add('v', 0, None); c.incr('v', 7)"
    )
    reader = SharedFileCache(str(tmp_path), {})
    assert reader.get("v") is None
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=True, cwd=str(_root()), timeout=60)
    assert reader.get("v") == 7


def _root():
    from django.conf import settings

    return settings.BASE_DIR


def test_a_tally_replaces_the_version_every_reader_had_cached(tree):
    assert snapshot_version("411103000000", "2026") is None  # cached as "never"
    run = tally_county(county_code="411103000000", period="2026")
    publish_version(run)
    assert snapshot_version("411103000000", "2026") == run.pk


# --- recompute now ---------------------------------------------------------------------------------------


def test_recompute_now_is_a_scoped_post_with_a_message(client, tree, django_capture_on_commit_callbacks):
    url = reverse("villages:onboard_recompute", args=["411103000000"])
    client.force_login(tree.users.county)
    assert client.get(url).status_code == 405
    before = TallyRequest.objects.count()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("villages:onboard_checklist", args=["411103000000"])
    assert "正在重新统计" in response.content.decode()
    assert TallyRequest.objects.count() > before and len(callbacks) == 1
    # Out of scope: 望江县 is not this official's.
    assert client.post(reverse("villages:onboard_recompute", args=["340827000000"])).status_code == 404
    client.force_login(tree.users.township)
    assert client.post(url).status_code in (403, 404)


def test_the_checklist_says_when_the_figures_were_computed(client, tree):
    client.force_login(tree.users.county)
    page = client.get(reverse("villages:onboard_checklist", args=["411103000000"])).content.decode()
    assert "从未统计" in page
    tally_county(county_code="411103000000", period=Period.current_year().key)
    page = client.get(reverse("villages:onboard_checklist", args=["411103000000"])).content.decode()
    assert "统计于" in page


# --- a rule with no data has no verdict ----------------------------------------------------------------------


def test_a_county_with_no_petitions_proposes_no_safety_star(tree):
    StarType.objects.all().delete()
    safety = StarType.objects.create(code="safety", name="平安法治星", star_set="village", position=1)
    for i, (metric, measure, comparison, threshold) in enumerate([
        ("petitions.level_skipping", "numerator", "lte", 0),
        ("petitions.dispute_resolution", "rate", "gte", "0.90"),
        ("petitions.on_time_completion", "rate", "gte", "0.95"),
    ]):  # fmt: skip
        StarCondition.objects.create(star_type=safety, metric=metric, measure=measure, comparison=comparison,
                                     threshold=threshold, label=metric, unit="%", no_data_passes=True,
                                     position=i)  # fmt: skip
    tally_county(county_code="411103000000", period="2026")
    proposals = StarProposal.objects.filter(star_type=safety, division__level=Level.VILLAGE)
    assert proposals.count() == 3
    assert set(proposals.values_list("earned", flat=True)) == {None}  # no data: never won
    assert all("无数据" in p.summary for p in proposals)
