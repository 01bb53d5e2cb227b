"""The demo: the seed's 望江县 this year, and 郾城区 with cases and disputes in every state."""

import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from petitions.choices import Channel, DisputeStatus, Satisfaction, Status
from petitions.models import Dispute, Mediation, Petition, Petitioner, PetitionStep
from villages.models import Snapshot

WJ, YC = "340827", "411103"


def load_demo():
    call_command("load_demo", months=0, stdout=io.StringIO())  # the past months add nothing checked here


def test_demo_reproduces_the_seed_and_every_state(demo_db):
    year = timezone.localdate().year
    today = timezone.localdate()
    wj = Petition.objects.filter(division__code__startswith=WJ, received_on__year=year)
    first_time = wj.filter(is_repeat=False)
    assert first_time.count() == 635
    assert not first_time.filter(concluded_on__isnull=True).exists()
    assert set(first_time.values_list("channel", flat=True)) == set(Channel.values)
    assert set(first_time.exclude(satisfaction="").values_list("satisfaction", flat=True)) == set(Satisfaction.values)
    satisfied = first_time.filter(satisfaction=Satisfaction.SATISFIED).count() / first_time.count()
    assert 0.6 < satisfied < 0.95
    assert first_time.filter(extension_days__gt=0).exists()
    assert first_time.filter(review_requested_on__isnull=False).exists()
    assert first_time.filter(status=Status.TERMINATED).exists()
    assert first_time.filter(is_group=True, group_size__gte=5).exists()
    repeats = wj.filter(is_repeat=True)
    assert 0 < repeats.count() <= 15
    assert not repeats.filter(previous__isnull=True).exists()
    assert not repeats.exclude(petitioners__id_number=F("previous__petitioners__id_number")).exists()
    disputes = Dispute.objects.filter(division__code__startswith=WJ, screened_on__year=year)
    assert disputes.count() == 987
    assert disputes.filter(status=DisputeStatus.RESOLVED).count() == 938
    assert disputes.filter(petition__isnull=False).exists()

    yc = Petition.objects.filter(division__code__startswith=YC)
    assert set(yc.values_list("status", flat=True)) == set(Status.values)
    assert yc.filter(due_on__lt=today).exists()
    assert yc.filter(supervision_count__gt=0).exists()
    assert yc.filter(responsible_unit__code="411103103000").exists()  # 裴城镇, for yc_peicheng
    assert set(Dispute.objects.filter(division__code__startswith=YC).values_list("status", flat=True)) == set(
        DisputeStatus.values
    )

    # What the services would have refused, the demo does not contain.
    assert not PetitionStep.objects.filter(on__gt=today).exists()
    assert not Petition.objects.filter(received_on__gt=today).exists()
    assert not Petition.objects.filter(concluded_on__gt=F("delivered_on")).exists()
    assert not Petition.objects.filter(petitioners__isnull=True).exists()
    assert not Petition.objects.annotate(n=Count("petitioners")).filter(n__gt=5).exists()
    assert not Mediation.objects.filter(resolved=True, agreement="").exists()
    for case in Petition.objects.order_by("?")[:40]:
        case.full_clean()
    for person in Petitioner.objects.order_by("?")[:40]:
        person.full_clean()

    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(username="wj_petition"))
    body = api.get(reverse("stats-petitions"), {"division": "340827000000", "period": str(year)}).json()
    assert body["rates"]["dispute_resolution"]["numerator"] == 938
    assert body["rates"]["dispute_resolution"]["denominator"] == 987
    assert body["rates"]["dispute_resolution"]["rate"] == 0.9504
    assert body["rates"]["completion"]["numerator"] == body["rates"]["completion"]["denominator"]
    assert body["rates"]["first_time_resolution"]["denominator"] == 635
    assert len(body["children"]) == 14

    # The same figure as the tallies computed it when the demo was loaded (a snapshot, not a fixture).
    snapshot = Snapshot.objects.get(
        division_code="340827000000", period=str(year), metric="petitions.dispute_resolution"
    )
    assert (snapshot.numerator, snapshot.denominator) == (938, 987)
    assert snapshot.run.status == "succeeded"


def test_demo_is_idempotent(demo_db):
    def counts():
        return [model.objects.count() for model in (Petition, Petitioner, PetitionStep, Dispute, Mediation)]

    before = counts()
    load_demo()
    assert counts() == before
