"""The load test's users (run by tests/reliability/test_load.py, or by hand: see docs/reliability.md).

- township staff save review levels over the API (read the level, save with the version read; a newer version
  is a conflict the client expects: it reads again),
- petition officers register petitions over the API, each with a subject of its own,
- county officials sign in and read dashboards (home, county page, review, petition and grid boards, stats API).

Only server errors (5xx), refused connections and answers no role should get (401/403/404) count as failures.
Every acknowledged write is written to LOAD_OUT when the run ends, for the test to count in the database.
"""

import json
import os
import random
import re
import threading
import uuid

from locust import HttpUser, between, events, task

PLAN = json.loads(open(os.environ["LOAD_PLAN"]).read())  # noqa: SIM115
ACKED = {"petitions": [], "saves": []}
_LOCK = threading.Lock()


def _expect(response, ok, *, conflict=()):
    if response.status_code in ok or response.status_code in conflict:
        response.success()
    else:
        detail = repr(response.error) if response.status_code == 0 else (response.text or "")[:200]
        response.failure(f"{response.status_code}: {detail}")


class TownshipStaff(HttpUser):
    weight = 2
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {PLAN['township_token']}"

    @task
    def save_a_level(self):
        level = random.choice(PLAN["levels"])  # noqa: S311
        with self.client.get(f"/api/v1/reviews/levels/{level}/", name="level read", catch_response=True) as read:
            _expect(read, {200})
            if read.status_code != 200:
                return
            version = read.json()["version"]
        body = {"version": version, "scores": PLAN["scores"]}
        with self.client.post(
            f"/api/v1/reviews/levels/{level}/scores/", json=body, name="level save", catch_response=True
        ) as saved:
            _expect(saved, {200}, conflict={400})
            if saved.status_code == 200:
                with _LOCK:
                    ACKED["saves"].append([level, version])


class PetitionOfficer(HttpUser):
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.client.headers["Authorization"] = f"Token {PLAN['petition_token']}"

    @task
    def register(self):
        subject = f"load-{uuid.uuid4().hex[:12]}"
        body = PLAN["petition"] | {"subject": subject}
        with self.client.post("/api/v1/petitions/", json=body, name="petition register", catch_response=True) as r:
            _expect(r, {201})
            if r.status_code == 201:
                with _LOCK:
                    ACKED["petitions"].append(subject)


class CountyOfficial(HttpUser):
    weight = 2
    wait_time = between(0.5, 2.0)

    def on_start(self):
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            data={"username": PLAN["county_user"], "password": PLAN["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as r:
            _expect(r, {302})

    @task(3)
    def county_dashboard(self):
        with self.client.get(
            f"/divisions/{PLAN['county']}/", name="county dashboard", catch_response=True, allow_redirects=False
        ) as r:
            _expect(r, {200})

    @task
    def home(self):
        with self.client.get("/", name="home", catch_response=True, allow_redirects=False) as r:
            # Home sends a county official on to their county's page; never back to the login page.
            if "/accounts/login/" in r.headers.get("Location", ""):
                r.failure("signed out")
            else:
                _expect(r, {200, 302})

    @task
    def reviews_board(self):
        with self.client.get(
            f"/reviews/divisions/{PLAN['county']}/", name="reviews board", catch_response=True, allow_redirects=False
        ) as r:
            _expect(r, {200})

    @task
    def petitions_board(self):
        url = f"/petitions/divisions/{PLAN['county']}/"
        with self.client.get(url, name="petitions board", catch_response=True, allow_redirects=False) as r:
            _expect(r, {200})

    @task
    def stats(self):
        with self.client.get("/api/v1/stats/", name="stats api", catch_response=True, allow_redirects=False) as r:
            _expect(r, {200})


@events.test_stop.add_listener
def _write_acknowledged(environment, **kwargs):
    with open(os.environ["LOAD_OUT"], "w") as out:
        json.dump(ACKED, out)
