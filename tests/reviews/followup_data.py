"""Follow-up records on the ``tree`` fixture and the ``campaign`` of tests/reviews/conftest.py, for the follow-up
tests: a common problem (梁庄村, 王庄村, 郭栗庄村), a particular one (梁庄村), a plan for 梁庄村 and one for
郭栗庄村 (商桥镇) with a measure each, and a recorder for 梁庄村. Built through the services."""

import datetime
import io
from types import SimpleNamespace

from django.utils import timezone

from reviews.followup import services
from reviews.followup.choices import ProblemKind
from reviews.models import Check
from tests.factories import scoped_user
from villages.choices import Role

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def upload(content: bytes = PDF, name: str = "整改照片.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def make_followup(tree, campaign, more_users=None) -> SimpleNamespace:
    county, township = tree.users.county, tree.users.township
    check = Check.objects.filter(template_id=campaign.template_id).order_by("number").first()
    common = services.problem_create(
        actor=county,
        campaign=campaign,
        check=check,
        kind=ProblemKind.COMMON,
        title="村务公开不及时",
        villages=[tree.liangzhuang, tree.wangzhuang, tree.guolizhuang],
    )
    particular = services.problem_create(
        actor=township,
        campaign=campaign,
        check=check,
        kind=ProblemKind.PARTICULAR,
        title="道路未验收",
        villages=[tree.liangzhuang],
    )
    plan = services.plan_create(actor=township, campaign=campaign, village=tree.liangzhuang)
    far_plan = services.plan_create(actor=county, campaign=campaign, village=tree.guolizhuang)
    today = timezone.localdate()
    measure = services.measure_add(
        actor=township,
        plan=plan,
        content="更新公开栏",
        owner="梁绍正",
        deadline=today + datetime.timedelta(30),
        problem=common,
    )
    far_measure = services.measure_add(
        actor=county,
        plan=far_plan,
        content="更新公开栏",
        owner="郭中凡",
        deadline=today + datetime.timedelta(30),
        problem=common,
    )
    recorder = scoped_user("t_recorder", tree.liangzhuang, Role.VILLAGE_RECORDER)
    entry = services.record_entry_add(
        actor=recorder,
        cadre=tree.secretary.cadre,
        book="blue",
        date=today - datetime.timedelta(days=40),
        content="主持召开村民代表会议",
    )
    far_entry = services.record_entry_add(
        actor=township,
        cadre=tree.wangzhuang.cadres.first(),
        book="red",
        date=today - datetime.timedelta(days=40),
        content="化解纠纷",
    )
    return SimpleNamespace(
        check=check,
        common=common,
        particular=particular,
        plan=plan,
        far_plan=far_plan,
        measure=measure,
        far_measure=far_measure,
        recorder=recorder,
        entry=entry,
        far_entry=far_entry,
    )


def pdf_stream():
    return io.BytesIO(PDF)
