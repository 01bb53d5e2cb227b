"""The admin pages of the work records are scoped like the villages admin: a county administrator sees their
county's records only."""

from django.contrib.auth.models import Permission
from django.urls import reverse

from villages.work.models import VillagerMeeting


def test_county_administrator_sees_only_their_county(client, tree, work):
    admin = tree.users.county
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    admin.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_villagermeeting", "view_collectiveincome", "view_meetingkind"])
    )
    client.force_login(admin)
    page = client.get(reverse("admin:villages_villagermeeting_changelist")).content.decode()
    assert "梁庄村" in page and "郭栗庄村" in page and "江边村" not in page
    far = VillagerMeeting.objects.get(division__name="江边村")
    assert client.get(reverse("admin:villages_villagermeeting_change", args=[far.pk])).status_code == 404
    assert client.get(reverse("admin:villages_collectiveincome_changelist")).status_code == 200
    assert client.get(reverse("admin:villages_meetingkind_changelist")).status_code == 200
