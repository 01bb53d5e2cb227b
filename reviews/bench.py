"""Look-back reviews for the benchmark: the real 2021 scorecard, one campaign per county, and every village's
three levels with all 71 item scores (``manage.py bench_data``); the scorecard save measurement
(``manage.py bench``)."""

import datetime
from decimal import Decimal

from villages.benchkit import (
    SHANGHAI,
    Context,
    Copier,
    Result,
    Run,
    copy_rows,
    holds,
    median,
    reset_sequences,
    timed,
    timed_pair,
)

from .choices import Grade, LevelStatus, ScoringRule, Stage
from .demo import default_template
from .models import Campaign, Item, ItemScore, Review, ReviewLevel

STAGES = [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY]
HALF = Decimal("0.5")


def _grade(template, total: Decimal) -> str:
    if total >= template.good_min:
        return Grade.GOOD
    if total >= template.fairly_good_min:
        return Grade.FAIRLY_GOOD
    if total >= template.average_min:
        return Grade.AVERAGE
    return Grade.POOR


def generate(ctx: Context) -> dict:
    rng = ctx.rng("reviews")
    template = default_template()
    items = list(Item.objects.filter(template=template).order_by("number").values_list("pk", "rule", "max_points"))
    points = [i for i, (_pk, rule, _m) in enumerate(items) if rule == ScoringRule.POINTS]
    full = sum((m for _pk, rule, m in items if rule == ScoringRule.POINTS), Decimal(0))
    campaigns = [
        (
            k + 1,
            county_id,
            template.pk,
            "2021年村“两委”换届“回头看”",
            datetime.date(2021, 8, 23),
            datetime.date(2021, 12, 31),
        )
        for k, (county_id, _code) in enumerate(ctx.counties)
    ]
    copy_rows(Campaign, ["id", "division_id", "template_id", "name", "start_date", "end_date"], campaigns)
    at = datetime.datetime(2021, 10, 20, 10, tzinfo=SHANGHAI)
    reviews, levels, deductions = [], [], []
    for r, (village_id, _code, _t, k) in enumerate(ctx.villages, start=1):
        grades = []
        for s, stage in enumerate(STAGES):
            level_id = (r - 1) * 3 + s + 1
            deducted = frozenset(rng.sample(points, rng.randint(0, min(24, len(points)))))
            deductions.append((level_id, deducted))
            total = full - HALF * len(deducted)
            grade = _grade(template, total)
            grades.append(grade)
            # The first village's county level stays a draft: the save measurement edits it.
            draft = r == 1 and stage == Stage.COUNTY
            levels.append(
                (
                    level_id, r, stage, LevelStatus.DRAFT if draft else LevelStatus.SUBMITTED, 1, total, len(items),
                    grade, at, None if draft else at,
                )
            )  # fmt: skip
        final_stage, final = (Stage.TOWNSHIP, grades[1]) if r == 1 else (Stage.COUNTY, grades[2])
        reviews.append((r, k + 1, village_id, final, final_stage))
    copy_rows(Review, ["id", "campaign_id", "village_id", "final_grade", "final_stage"], reviews)
    copy_rows(
        ReviewLevel,
        ["id", "review_id", "level", "status", "version", "total_score", "scored_count", "grade", "updated_at",
         "submitted_at"],
        levels,
    )  # fmt: skip
    scores = 0
    with Copier(ItemScore, ["level_id", "item_id", "score", "passed", "note"]) as out:
        for level_id, deducted in deductions:
            for i, (item_id, rule, max_points) in enumerate(items):
                if rule == ScoringRule.POINTS:
                    out.add((level_id, item_id, max_points - HALF if i in deducted else max_points, None, ""))
                else:
                    out.add((level_id, item_id, None, True, ""))
                scores += 1
    reset_sequences([Campaign, Review, ReviewLevel, ItemScore])
    return {"reviews": len(reviews), "levels": len(levels), "item scores": scores}


def counts() -> dict:
    return {"item scores": ItemScore.objects.count()}


# --- measurement (``manage.py bench``) -------------------------------------------------------------------------


URLENCODED = "application/x-www-form-urlencoded"
_TRANSACTION = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
BARE_INSERT = "/bench/bare/insert/"
ANONYMOUS_INSERT = "/bench/bare/insert/anonymous/"


def measure_scorecard_save(run: Run) -> list[Result]:
    """Save the first village's county level (all 71 items) through the page's form, as the county official
    does, against a bare view that inserts one row; and count the save's queries."""
    from urllib.parse import urlencode

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    level = ReviewLevel.objects.select_related("review").get(level=Stage.COUNTY, status=LevelStatus.DRAFT)
    items = list(Item.objects.filter(template__campaigns__reviews=level.review).order_by("number"))
    client = run.client("bench_county")
    url = reverse("reviews:level_save", args=[level.review_id, Stage.COUNTY])
    turn = [0]
    version = [level.version]  # as the page holds it: each save answers with the next version

    def payload() -> dict:
        turn[0] += 1
        data = {"version": version[0]}
        for n, item in enumerate(items):
            if item.rule == ScoringRule.POINTS:
                # Alternate half a point off a few items, so every save changes something.
                off = HALF if (n + turn[0]) % 7 == 0 else Decimal(0)
                data[f"score_{item.pk}"] = str(item.max_points - off)
                data[f"note_{item.pk}"] = "扣分：资料不全" if off else ""
            else:
                data[f"passed_{item.pk}"] = "1"
        return data

    def post(path, data):
        # As the page's form is sent (htmx, or the browser without it): urlencoded, there are no file inputs. The
        # test client's default, multipart, would add its own parsing cost to both sides.
        return client.post(path, urlencode(data, doseq=True), content_type=URLENCODED)

    def save():
        response = post(url, payload())
        if response.status_code != 302:
            raise RuntimeError(f"the scorecard save answered {response.status_code}")
        version[0] += 1
        # The browser follows the redirect and the page it lands on shows (and so clears) the "Draft saved"
        # message; without that, every save would carry all the earlier saves' messages in its cookie.
        client.cookies.pop("messages", None)

    def bare():
        # The floor: the same signed-in post of the same form, to a view that inserts one row in a transaction
        # and does nothing else (no scope, no checks, no history, no tally request).
        if post(BARE_INSERT, payload()).status_code != 200:
            raise RuntimeError("the bare insert refused the signed-in post")

    anonymous = Client()  # only for the record: the least any post can cost, not signed in, one short field

    save()  # warm
    bare()
    with CaptureQueriesContext(connection) as queries:
        save()
    # BEGIN and COMMIT are the transaction around the save, not queries.
    statements = [q["sql"] for q in queries.captured_queries]
    save_queries = sum(1 for sql in statements if sql.split()[0].upper() not in _TRANSACTION)
    save_times, bare_times = timed_pair(save, bare, run.page_requests)
    ratio = median(save_times) / median(bare_times)
    anonymous.post(ANONYMOUS_INSERT, "note=warm", content_type=URLENCODED)
    least = median(
        timed(lambda: anonymous.post(ANONYMOUS_INSERT, "note=x", content_type=URLENCODED), run.page_requests)
    )
    return [
        Result(
            "scorecard_save_vs_bare",
            round(ratio, 2),
            "<= 5; <= 15 queries",
            bool(holds(ratio, "<=", 5)) and save_queries <= 15,
            f"median {median(save_times) * 1000:.1f} ms against {median(bare_times) * 1000:.1f} ms; "
            f"{save_queries} queries (+ BEGIN/COMMIT); an anonymous one-field insert: {least * 1000:.1f} ms",
            extra={"queries": save_queries, "anonymous_insert_ms": round(least * 1000, 2)},
        )
    ]


MEASURES = [measure_scorecard_save]
