"""20 concurrent saves of one review level with the same version, over the API: exactly one succeeds, the 19
others get a clear conflict (400 on `version`), the stored data is the winner's, and one audit entry is added."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from reviews.choices import Stage
from reviews.models import ItemScore
from tests.reviews.conftest import campaign, full_marks, level_of, small_template  # noqa: F401 (fixtures)
from villages.services import api_token_create

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a database that serves concurrent connections"),
    pytest.mark.django_db(transaction=True),
]
N = 20


def test_twenty_simultaneous_saves_let_exactly_one_through(tree, campaign):  # noqa: F811
    # The village's self-assessment: open from the start (the township's opens once it is submitted).
    level = level_of(campaign.reviews.get(village=tree.liangzhuang), Stage.VILLAGE)
    history_before = level.history.count()
    items = list(campaign.template.items.order_by("number"))
    raw = api_token_create(user=tree.users.village)[1]
    barrier = threading.Barrier(N)
    outcomes = {}

    def save(n):
        try:
            api = APIClient()
            api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
            scores = [
                {"item": e_pk, "score": None if e.score is None else str(e.score), "passed": e.passed,
                 "note": f"保存者{n}" if e_pk == items[0].pk else ""}
                for e_pk, e in full_marks(campaign.template).items()
            ]  # fmt: skip
            barrier.wait(timeout=30)
            response = api.post(
                f"/api/v1/reviews/levels/{level.pk}/scores/", {"version": 0, "scores": scores}, format="json"
            )
            outcomes[n] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(N)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(outcomes) == N
    winners = [n for n, (code, _body) in outcomes.items() if code == 200]
    assert len(winners) == 1, {n: code for n, (code, _b) in outcomes.items()}
    losers = [body for n, (code, body) in outcomes.items() if n not in winners]
    assert all(code == 400 for code, _b in (outcomes[n] for n in outcomes if n not in winners))
    assert all("version" in body and body["version"] for body in losers)
    saved = level_of(level.review, level.level)
    assert saved.version == 1
    assert ItemScore.objects.get(level=saved, item=items[0]).note == f"保存者{winners[0]}"
    assert saved.history.count() == history_before + 1
