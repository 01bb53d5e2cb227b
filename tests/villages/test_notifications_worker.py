"""The reminders under a real Celery worker, real Redis and real PostgreSQL: a county's run tells its users and
posts its digest to the county's robot (a real local HTTP server), which fails once and is retried by the worker
with its backoff, without holding up the run."""

import pytest

from tests.factories import scoped_user
from tests.villages.robot_server import RobotServer
from tests.villages.test_worker import Worker, _wait, pytestmark, queue  # noqa: F401 (the worker marks and fixture)
from villages.choices import Role
from villages.models import CountyWebhook, Notification, WebhookDelivery
from villages.notifications.choices import DeliveryStatus, WebhookKind


@pytest.fixture
def worker_tree(transactional_db, tree):
    return tree


def test_a_county_run_on_a_worker_tells_and_retries_the_robot(worker_tree, queue, monkeypatch):  # noqa: F811
    from villages.notifications.tasks import remind_county

    monkeypatch.setenv("SHANZHI_WEBHOOK_BACKOFF", "1")
    with RobotServer(failures=1) as robot:
        CountyWebhook.objects.create(county=worker_tree.yc, kind=WebhookKind.WECOM, url=robot.url)
        worker = Worker(queue)
        try:
            remind_county.apply_async(("411103000000", "2026-12-28"), queue=queue)
            _wait(
                lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SENT).exists(),
                timeout=60,
                what="the digest, retried after the robot's first failure",
            )
            # Run again the same day and the next: nothing new for 梁庄村; a secretary added to 王庄村 meanwhile is
            # told, in a digest of their own (one worker takes the tasks in order).
            remind_county.apply_async(("411103000000", "2026-12-28"), queue=queue)
            scoped_user("t_wangzhuang", worker_tree.wangzhuang, Role.VILLAGE_SECRETARY)
            remind_county.apply_async(("411103000000", "2026-12-29"), queue=queue)
            _wait(
                lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SENT).count() == 2,
                timeout=60,
                what="the second day's digest",
            )
        finally:
            worker.stop()
    first, second = WebhookDelivery.objects.order_by("pk")
    assert first.attempts == 2 and first.sent_at is not None and first.notification_count == 1
    assert second.attempts == 1 and second.notification_count == 1
    assert len(robot.posts) == 3  # the failed post, its retry, the second day's digest
    assert all(post["body"]["msgtype"] == "markdown" for post in robot.posts)
    assert "梁庄村" in robot.posts[1]["body"]["markdown"]["content"]
    assert "王庄村" in robot.posts[2]["body"]["markdown"]["content"]
    assert "梁庄村" not in robot.posts[2]["body"]["markdown"]["content"]
    told = Notification.objects.filter(kind="villages.work.meeting").order_by("user__username")
    assert list(told.values_list("user__username", "urgency")) == [("t_village", "soon"), ("t_wangzhuang", "soon")]
