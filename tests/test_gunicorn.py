"""The web process (issue #20, finding 9): gunicorn's configuration as the Procfile runs it."""

import logging
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
CONFIG = ROOT / "config" / "gunicorn.py"


def test_the_procfile_runs_gunicorn_with_the_configuration():
    web = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    assert "-c config/gunicorn.py" in web and "config.wsgi:application" in web


def test_the_configuration_is_what_the_readme_says(monkeypatch):
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT", "WEB_GRACEFUL_TIMEOUT", "WEB_MAX_REQUESTS"):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(CONFIG))
    assert config["worker_class"] == "gthread" and config["threads"] >= 2 and config["workers"] == 3
    assert config["max_requests"] > 0 and 0 < config["max_requests_jitter"] < config["max_requests"]
    # In-flight requests (an import at the row limit takes seconds to tens of seconds) finish on a restart.
    assert config["graceful_timeout"] >= config["timeout"] >= 30
    readme = (ROOT / "README.md").read_text()
    for name in ("WEB_THREADS", "WEB_TIMEOUT", "WEB_GRACEFUL_TIMEOUT", "WEB_MAX_REQUESTS", "WEB_MAX_WORKER_RSS_MB"):
        assert f"`{name}`" in readme, name


def test_gunicorn_accepts_the_configuration():
    gunicorn = Path(sys.executable).with_name("gunicorn")
    check = subprocess.run(
        [str(gunicorn), "-c", str(CONFIG), "config.wsgi:application", "--check-config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr


def test_a_worker_left_too_large_is_replaced_after_its_request(monkeypatch):
    config = runpy.run_path(str(CONFIG))
    hook = config["post_request"]
    worker = SimpleNamespace(alive=True, pid=1, log=logging.getLogger("gunicorn.error"))
    request = SimpleNamespace(path="/grids/divisions/411103103000/households/import/")
    hook.__globals__["max_worker_rss_mb"] = 10**6
    hook(worker, request, {}, None)
    assert worker.alive
    hook.__globals__["max_worker_rss_mb"] = 1
    hook(worker, request, {}, None)
    assert not worker.alive  # stops taking requests, finishes those in flight, and the arbiter starts another
    assert config["resident_mb"]() > 1
