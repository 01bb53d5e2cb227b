import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from tests.factories import valid_id_number
from villages.choices import AdjustmentKind, Committee, Level, PostTitle
from villages.history import history_entries
from villages.models import Adjustment, Cadre, Division, Post
from villages.services import (
    cadre_adjust,
    cadre_create,
    cadre_update,
    division_create,
    post_add,
)

D = datetime.date


def test_cadre_create_validates_personal_data_and_saves_nothing_on_error(tree):
    with pytest.raises(ValidationError) as err:
        cadre_create(
            actor=tree.users.township,
            division=tree.liangzhuang,
            name="李四",
            gender="male",
            phone="1234",
            id_number="110105194912310021",
        )
    assert set(err.value.message_dict) == {"phone", "id_number"}
    assert not Cadre.objects.filter(name="李四").exists()


def test_cadre_create_outside_scope_is_404_and_wrong_role_403(tree):
    with pytest.raises(Http404):
        cadre_create(actor=tree.users.township, division=tree.guolizhuang, name="李四", gender="male")
    with pytest.raises(PermissionDenied):
        cadre_create(actor=tree.users.village, division=tree.liangzhuang, name="李四", gender="male")
    assert not Cadre.objects.filter(name="李四").exists()


def test_cadres_belong_to_villages(tree):
    with pytest.raises(ValidationError):
        cadre_create(actor=tree.users.county, division=tree.peicheng, name="李四", gender="male")


def test_one_shoulder_carries_both_posts(tree):
    cadre = tree.secretary.cadre
    assert {(p.committee, p.title) for p in cadre.posts.all()} == {
        (Committee.PARTY, PostTitle.SECRETARY),
        (Committee.VILLAGERS, PostTitle.CHAIR),
    }


def test_a_committee_has_one_current_secretary(tree):
    newcomer = cadre_create(actor=tree.users.township, division=tree.liangzhuang, name="梁新", gender="male")
    with pytest.raises(ValidationError) as err:
        post_add(
            actor=tree.users.township,
            cadre=newcomer,
            committee=Committee.PARTY,
            title=PostTitle.SECRETARY,
            start_date=D(2024, 1, 1),
        )
    assert "current holder" in str(err.value) or "现任" in str(err.value)
    # The database refuses it too, even through a bulk path.
    with pytest.raises(IntegrityError), transaction.atomic():
        Post.objects.bulk_create(
            [
                Post(
                    cadre=newcomer,
                    division=tree.liangzhuang,
                    committee=Committee.PARTY,
                    title=PostTitle.SECRETARY,
                    start_date=D(2024, 1, 1),
                )
            ]
        )


def test_post_title_must_fit_the_committee(tree):
    with pytest.raises(ValidationError):
        post_add(
            actor=tree.users.township,
            cadre=tree.member.cadre,
            committee=Committee.SUPERVISION,
            title=PostTitle.SECRETARY,
            start_date=D(2024, 1, 1),
        )


def test_replacement_keeps_history(tree):
    newcomer = cadre_create(
        actor=tree.users.township,
        division=tree.liangzhuang,
        name="梁新",
        gender="male",
        id_number=valid_id_number(),
    )
    adjustment = cadre_adjust(
        actor=tree.users.township,
        post=tree.secretary,
        kind=AdjustmentKind.REPLACEMENT,
        date=D(2023, 7, 1),
        reason="民主评议不称职",
        incoming=newcomer,
    )
    tree.secretary.refresh_from_db()
    assert tree.secretary.end_date == D(2023, 7, 1)
    assert adjustment.new_post.cadre == newcomer and adjustment.new_post.title == PostTitle.SECRETARY
    assert Post.objects.filter(division=tree.liangzhuang, title=PostTitle.SECRETARY).count() == 2
    # The old post's history holds its change, with who made it.
    entry = history_entries(tree.secretary)[0]
    assert entry["user"] == "t_township"
    assert any(c["field"] == "end_date" and c["new"] == "2023-07-01" for c in entry["changes"])


def test_adjustment_errors_are_per_field_and_nothing_changes(tree):
    with pytest.raises(ValidationError) as err:
        cadre_adjust(
            actor=tree.users.township,
            post=tree.secretary,
            kind=AdjustmentKind.REPLACEMENT,
            date=D(2023, 7, 1),
            reason=" ",
            incoming=None,
        )
    assert set(err.value.message_dict) == {"reason", "incoming"}
    tree.secretary.refresh_from_db()
    assert tree.secretary.end_date is None
    assert not Adjustment.objects.exists()


def test_removal_takes_the_cadre_out_of_office(tree):
    cadre_adjust(
        actor=tree.users.county,
        post=tree.member,
        kind=AdjustmentKind.REMOVAL,
        date=D(2023, 7, 1),
        reason="违纪",
    )
    tree.member.cadre.refresh_from_db()
    assert tree.member.cadre.active is False


def test_update_is_audited_with_old_and_new(tree):
    cadre = tree.member.cadre
    cadre_update(actor=tree.users.county, cadre=cadre, education="bachelor")
    entry = history_entries(cadre)[0]
    assert entry["user"] == "t_county"
    assert [(c["field"], c["old"], c["new"]) for c in entry["changes"]] == [("education", "", "bachelor")]


def test_division_codes_are_checked(tree):
    with pytest.raises(ValidationError) as err:
        division_create(
            actor=tree.users.county,
            code="411103103299",
            name="新村",
            level=Level.TOWNSHIP,
            kind="town",
            parent=tree.yc,
        )
    assert "code" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        division_create(
            actor=tree.users.county,
            code="411104103299",
            name="新村",
            level=Level.VILLAGE,
            kind="village",
            parent=tree.peicheng,
        )
    assert "parent" in err.value.message_dict
    village = division_create(
        actor=tree.users.county,
        code="411103103299",
        name="新村",
        level=Level.VILLAGE,
        kind="village",
        parent=tree.peicheng,
    )
    assert Division.objects.get(code="411103103299") == village
    with pytest.raises(Http404):
        division_create(
            actor=tree.users.county,
            code="340827100299",
            name="外村",
            level=Level.VILLAGE,
            kind="village",
            parent=tree.huayang,
        )
