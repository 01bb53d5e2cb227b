"""Reminders (villages.notifications): what falls due on a user's to-do list is told once, to the person who must
act — in the platform (the bell, the notifications page), by e-mail and in one digest per county to its group
robot (企业微信 or 钉钉, against a real local HTTP server)."""

import base64
import datetime
import hashlib
import hmac

import pytest
from django.core import mail
from django.urls import reverse

import villages.todo
from tests.factories import scoped_user
from tests.villages.robot_server import RobotServer
from villages.choices import Role
from villages.models import CountyWebhook, Notification, NotificationSettings, UserScope, WebhookDelivery
from villages.notifications import services, webhooks
from villages.notifications.choices import DeliveryStatus, WebhookKind
from villages.notifications.selectors import forget_unread_counts, unread_count
from villages.todo import TodoItem

# This month's meeting record of 梁庄村 is due on 2026-12-31: due soon from the 24th.
TODAY = datetime.date(2026, 12, 28)
YC = "411103000000"
WJ = "340827000000"


def run(county=YC, today=TODAY, send=False):
    return services.reminders_run(county_code=county, today=today, send=send)


def told(kind_prefix=""):
    return sorted(
        (n.user.username, n.kind, n.urgency)
        for n in Notification.objects.select_related("user")
        if n.kind.startswith(kind_prefix)
    )


@pytest.fixture
def extra_items(monkeypatch):
    """Add items of the test's own to every user's list who holds a scope in 梁庄村 (as a provider would)."""
    added: list = []
    original = villages.todo.app_hooks

    def provider(user, *, today):
        if not UserScope.objects.filter(user=user, division__code="411103103201").exists():
            return []
        return [item(today) for item in added]

    def hooks(name):
        yield from original(name)
        if name == "todo_items":
            yield None, "tests.extra", provider

    monkeypatch.setattr(villages.todo, "app_hooks", hooks)
    return added


def test_the_person_who_must_act_is_told_once(tree):
    assert run(today=datetime.date(2026, 12, 7))["created"] == 0  # due on the 31st: not yet "soon"
    result = run()
    assert told("villages.work.meeting") == [("t_village", "villages.work.meeting", "soon")]
    assert result["created"] == len(told())
    # A rerun the same day, or the next, with the item in the same state adds nothing.
    assert run()["created"] == 0
    assert run(today=TODAY + datetime.timedelta(days=1))["created"] == 0
    assert len(told("villages.work.meeting")) == 1
    note = Notification.objects.get(kind="villages.work.meeting")
    assert note.url == reverse("villages:work_meeting_create", kwargs={"code": "411103103201"})
    assert note.due == datetime.date(2026, 12, 31)
    assert note.division_name == "梁庄村"
    assert note.title == "填报本月村民议事会议记录（2026-12）" or note.title  # the to-do list's own title


def test_waiting_and_open_items_are_never_told_and_a_new_state_is_told_again(tree, extra_items):
    extra_items += [
        lambda today: TodoItem(
            kind="test.waiting",
            title="等待乡镇",
            division="梁庄村",
            url="/",
            actor="x",
            due=today,
            waiting_on="乡镇工作人员",
            key="w",
        ),
        lambda today: TodoItem(
            kind="test.open", title="远期", division="梁庄村", url="/", actor="x", due=today.replace(year=2027), key="o"
        ),
        lambda today: TodoItem(kind="test.nodeadline", title="无期限", division="梁庄村", url="/", actor="x", key="n"),
        lambda today: TodoItem(
            kind="test.clock",
            title="法定时限",
            division="梁庄村",
            url="/petitions/1/",
            actor="x",
            due=datetime.date(2026, 12, 29),
            soon_days=3,
            key="c",
        ),
    ]
    run()
    kinds = {n.kind for n in Notification.objects.all()}
    assert "test.waiting" not in kinds and "test.open" not in kinds and "test.nodeadline" not in kinds
    assert told("test.clock") == [("t_grid", "test.clock", "soon"), ("t_village", "test.clock", "soon")]
    # Past its deadline the same item is overdue: told again, once.
    run(today=datetime.date(2026, 12, 30))
    run(today=datetime.date(2026, 12, 31))
    assert told("test.clock") == [
        ("t_grid", "test.clock", "overdue"),
        ("t_grid", "test.clock", "soon"),
        ("t_village", "test.clock", "overdue"),
        ("t_village", "test.clock", "soon"),
    ]


def test_out_of_scope_is_never_told(tree):
    jiangbian = scoped_user("t_jiangbian", tree.jiangbian, Role.VILLAGE_SECRETARY)
    run(county=WJ)
    assert {n.user for n in Notification.objects.all()} == {jiangbian}
    run(county=YC)
    assert not Notification.objects.filter(user=jiangbian, county_code=YC).exists()
    assert not Notification.objects.exclude(user=jiangbian).filter(county_code=WJ).exists()
    # A user with scopes in two counties is told by one run only: the county of their first scope by code (望江县).
    UserScope.objects.create(user=tree.users.village, division=tree.jiangbian, role=Role.VILLAGE_SECRETARY)
    Notification.objects.all().delete()
    run(county=YC)
    assert not Notification.objects.filter(user=tree.users.village).exists()
    run(county=WJ)
    assert told("villages.work.meeting") == [
        ("t_jiangbian", "villages.work.meeting", "soon"),
        ("t_village", "villages.work.meeting", "soon"),  # 梁庄村's and 江边村's meetings: two items
        ("t_village", "villages.work.meeting", "soon"),
    ]


def test_an_inactive_user_is_not_told(tree):
    tree.users.village.is_active = False
    tree.users.village.save()
    run()
    assert not told("villages.work.meeting")


def test_mail_goes_to_users_with_an_address_who_want_it(tree):
    village = tree.users.village
    village.email = "liang@example.gov.cn"
    village.save()
    run(send=True)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["liang@example.gov.cn"]
    assert "善治提醒" in message.subject
    note = Notification.objects.get(user=village, kind="villages.work.meeting")
    assert f"http://127.0.0.1:8000/notifications/{note.pk}/" in message.body
    assert "梁庄村" in message.body and "2026-12-31" in message.body
    assert note.emailed_at is not None
    run(send=True)  # nothing new: no mail
    assert len(mail.outbox) == 1


def test_no_mail_without_an_address_or_when_turned_off(tree, extra_items):
    extra_items.append(
        lambda today: TodoItem(kind="test.k", title="t", division="梁庄村", url="/", actor="x", due=today, key="k")
    )
    grid = tree.users.grid  # no e-mail address: told in the platform only
    village = tree.users.village
    village.email = "liang@example.gov.cn"
    village.save()
    services.notification_settings_save(user=village, email_reminders=False, email=village.email)
    run(send=True)
    assert mail.outbox == []
    assert Notification.objects.filter(user=grid).exists() and Notification.objects.filter(user=village).exists()
    assert not Notification.objects.filter(emailed_at__isnull=False).exists()


def test_the_settings_page_keeps_the_users_choice(client, tree):
    user = tree.users.village
    client.force_login(user)
    url = reverse("villages:notification_settings")
    assert client.get(url).status_code == 200
    response = client.post(url, {"email": "", "email_reminders": "on"})
    assert "请填写电子邮箱地址" in response.content.decode() or response.status_code == 200
    assert not NotificationSettings.objects.filter(user=user).exists()
    response = client.post(url, {"email": "不是邮箱", "email_reminders": "on"})
    assert response.status_code == 200 and not NotificationSettings.objects.filter(user=user).exists()
    assert client.post(url, {"email": "liang@example.gov.cn"}).status_code == 302
    user.refresh_from_db()
    assert user.email == "liang@example.gov.cn"
    assert NotificationSettings.objects.get(user=user).email_reminders is False


@pytest.fixture
def eager(settings):
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_the_county_robot_gets_one_digest_in_wecom_shape(tree, eager, django_capture_on_commit_callbacks):
    with RobotServer() as robot:
        CountyWebhook.objects.create(county=tree.yc, kind=WebhookKind.WECOM, url=robot.url)
        with django_capture_on_commit_callbacks(execute=True):
            result = run(send=True)
        assert len(robot.posts) == 1  # one digest per county per run, not one per item
        post = robot.posts[0]
        assert post["query"] == {"key": "test-key"}
        assert post["content_type"].startswith("application/json")
        assert set(post["body"]) == {"msgtype", "markdown"}
        assert post["body"]["msgtype"] == "markdown"
        assert set(post["body"]["markdown"]) == {"content"}
        content = post["body"]["markdown"]["content"]
        assert "郾城区" in content and "梁庄村" in content and "到期" in content
        assert "](http://127.0.0.1:8000/divisions/411103103201/work/meetings/new/)" in content
        delivery = WebhookDelivery.objects.get(pk=result["delivery"])
        assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1
        with django_capture_on_commit_callbacks(execute=True):
            run(send=True)  # nothing new: no post
        assert len(robot.posts) == 1
        # 望江县 has no robot: its run posts nothing.
        scoped_user("t_jiangbian", tree.jiangbian, Role.VILLAGE_SECRETARY)
        with django_capture_on_commit_callbacks(execute=True):
            assert run(county=WJ, send=True)["delivery"] is None
        assert len(robot.posts) == 1


def test_dingtalk_shape_and_signature(tree):
    secret = "SEC0123456789abcdef"
    with RobotServer() as robot:
        url = robot.url.replace("key=test-key", "access_token=t")
        webhook = CountyWebhook.objects.create(county=tree.yc, kind=WebhookKind.DINGTALK, url=url, secret=secret)
        delivery = services.webhook_send_test(actor=tree.users.county, webhook=webhook)
        assert delivery.status == DeliveryStatus.SENT
    post = robot.posts[0]
    assert post["body"]["msgtype"] == "markdown"
    assert set(post["body"]["markdown"]) == {"title", "text"}
    assert "郾城区" in post["body"]["markdown"]["title"]
    query = post["query"]
    assert query["access_token"] == "t"
    timestamp = query["timestamp"]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == expected  # parse_qs decoded the URL-encoding DingTalk asks for


def test_a_failed_post_is_recorded_and_retried_then_sent(tree):
    with RobotServer(failures=1) as robot:
        webhook = CountyWebhook.objects.create(county=tree.yc, kind=WebhookKind.WECOM, url=robot.url)
        delivery = WebhookDelivery.objects.create(webhook=webhook, content="标题\n\n正文")
        first = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert first.status == DeliveryStatus.RETRYING and first.attempts == 1 and "500" in first.last_error
        second = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert second.status == DeliveryStatus.SENT and second.attempts == 2 and second.sent_at
        # Sent is sent: a duplicate task posts nothing.
        services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert len(robot.posts) == 2


def test_an_unreachable_robot_never_stops_the_run(tree, eager, django_capture_on_commit_callbacks):
    CountyWebhook.objects.create(county=tree.yc, kind=WebhookKind.WECOM, url="http://127.0.0.1:9/robot")
    with django_capture_on_commit_callbacks(execute=True):
        result = run(send=True)
    assert result["created"] >= 1
    delivery = WebhookDelivery.objects.get(pk=result["delivery"])
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error  # in-process: one attempt


def test_digest_is_bounded():
    long = "## 标题\n" + "\n".join(f"- 第{i}项待办 梁庄村" for i in range(2000))
    assert len(webhooks.truncate(long).encode()) <= webhooks.CONTENT_MAX_BYTES
    assert webhooks.signed_url("https://x/send?access_token=a", "SECx", timestamp_ms=1).startswith(
        "https://x/send?access_token=a&timestamp=1&sign="
    )


def test_the_robot_address_is_validated(client, tree):
    admin = tree.users.county
    UserScope.objects.filter(user=admin).update(manages_users=True)
    client.force_login(admin)
    url = reverse("villages:county_webhook", kwargs={"code": YC})
    assert client.get(url).status_code == 200
    for bad in ("qyapi.weixin.qq.com/send", "ftp://x/send", "https://user:pw@x/send", "javascript:alert(1)"):
        response = client.post(url, {"kind": "wecom", "url": bad, "active": "on"})
        assert response.status_code == 200, bad
        assert "robot" not in response.content.decode() or not CountyWebhook.objects.exists()
    assert not CountyWebhook.objects.exists()
    response = client.post(url, {"kind": "wecom", "url": "https://x/send", "secret": "SECabc", "active": "on"})
    assert response.status_code == 200 and not CountyWebhook.objects.exists()  # a secret is DingTalk's alone
    response = client.post(url, {"kind": "dingtalk", "url": "https://x/send", "secret": "abc", "active": "on"})
    assert response.status_code == 200 and not CountyWebhook.objects.exists()
    response = client.post(url, {"kind": "dingtalk", "url": "https://x/send", "secret": "SECabc", "active": "on"})
    assert response.status_code == 302
    webhook = CountyWebhook.objects.get()
    assert webhook.secret == "SECabc" and webhook.updated_by == admin
    # Saved again without a secret: the saved one is kept; "remove" clears it.
    client.post(url, {"kind": "dingtalk", "url": "https://x/send2", "active": "on"})
    webhook.refresh_from_db()
    assert webhook.secret == "SECabc" and webhook.url == "https://x/send2"
    client.post(url, {"kind": "dingtalk", "url": "https://x/send2", "clear_secret": "on", "active": "on"})
    webhook.refresh_from_db()
    assert webhook.secret == ""
    assert webhook.history.count() == 3


def test_the_test_button_reports_the_outcome(client, tree):
    admin = tree.users.county
    UserScope.objects.filter(user=admin).update(manages_users=True)
    client.force_login(admin)
    with RobotServer() as robot:
        CountyWebhook.objects.create(county=tree.yc, kind=WebhookKind.WECOM, url=robot.url)
        response = client.post(reverse("villages:county_webhook_test", kwargs={"code": YC}), follow=True)
    assert "测试消息已发送" in response.content.decode()
    assert len(robot.posts) == 1 and "郾城区" in robot.posts[0]["body"]["markdown"]["content"]
    assert WebhookDelivery.objects.get().is_test


def _notes(user, n):
    return Notification.objects.bulk_create(
        Notification(user=user, key=f"k{i}", kind="test", title=f"事项{i}", url="/", urgency="soon") for i in range(n)
    )


def test_the_notifications_page_lists_only_ones_own(client, tree, django_capture_on_commit_callbacks):
    mine = _notes(tree.users.village, 35)
    theirs = _notes(tree.users.township, 1)[0]
    client.force_login(tree.users.village)
    page = client.get(reverse("villages:notifications")).content.decode()
    assert "事项34" in page and f'data-notification="{theirs.pk}"' not in page
    assert "1 / 2" in page  # 30 a page
    assert client.get(reverse("villages:notification_open", kwargs={"pk": theirs.pk})).status_code == 404
    assert client.post(reverse("villages:notification_read", kwargs={"pk": theirs.pk})).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # Open one: read, and on to its form.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("villages:notification_open", kwargs={"pk": mine[0].pk}))
    assert response.status_code == 302 and response["Location"] == "/"
    assert unread_count(tree.users.village) == 34
    unread = client.get(reverse("villages:notifications") + "?unread=1").content.decode()
    assert f'data-notification="{mine[0].pk}"' not in unread
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("villages:notification_read", kwargs={"pk": mine[1].pk}))
    assert unread_count(tree.users.village) == 33
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("villages:notifications_read_all"))
    assert unread_count(tree.users.village) == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_bell_costs_one_query_then_none(client, tree, django_assert_max_num_queries):
    _notes(tree.users.village, 3)
    client.force_login(tree.users.village)
    url = reverse("villages:notification_count")
    client.get(reverse("villages:notifications"))  # the session is warm, as on any page after the first
    forget_unread_counts([tree.users.village.pk])
    with django_assert_max_num_queries(3) as cold:
        response = client.get(url)
    assert ">3</span>" in response.content.decode()
    assert sum("villages_notification" in q["sql"] for q in cold.captured_queries) == 1
    with django_assert_max_num_queries(2) as warm:
        client.get(url)  # the count comes from the cache
    assert not any("villages_notification" in q["sql"] for q in warm.captured_queries)


def test_the_base_page_carries_the_bell(client, tree):
    client.force_login(tree.users.village)
    page = client.get(reverse("villages:notifications")).content.decode()
    assert reverse("villages:notification_count") in page and 'id="nav-bell"' in page
