"""Production settings: secrets have no defaults, and Django's deployment check finds nothing."""

import os
import subprocess
import sys

PRODUCTION = {
    "SHANZHI_ENV": "production",
    "SECRET_KEY": "a-long-random-production-secret-key-for-the-deploy-check-0123456789",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/shanzhi",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "shanzhi.example.gov.cn",
}


def _manage(*args, env):
    # The browser tests' session fixture lets the ORM run beside Playwright's event loop in this process; a
    # deployment never has that variable, so the child process must not inherit it.
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], env={**base, **env}, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_its_secrets():
    for missing in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS"):
        env = {k: v for k, v in PRODUCTION.items() if k != missing}
        result = _manage("check", env=env)
        assert result.returncode != 0, missing
        assert missing in result.stderr, (missing, result.stderr[-500:])
