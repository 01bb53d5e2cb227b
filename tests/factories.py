"""factory_boy factories for every app's models, and a small two-county tree for scope tests."""

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from villages.choices import Committee, DivisionKind, Gender, Level, PostTitle
from villages.models import Cadre, Division, Post, UserScope
from villages.validators import id_check_digit

PASSWORD = "test-pass-123"
_id_serial = itertools.count(100)


def valid_id_number(region="411103", birth=datetime.date(1980, 5, 17), serial=None):
    serial = next(_id_serial) if serial is None else serial
    first17 = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return first17 + id_check_digit(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class DivisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Division
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"411103{103:03d}{200 + n:03d}")
    name = factory.Sequence(lambda n: f"测试{n}村")
    level = Level.VILLAGE
    kind = DivisionKind.VILLAGE
    valid_from = datetime.date(2021, 1, 1)


class CadreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cadre

    division = factory.SubFactory(DivisionFactory)
    name = factory.Sequence(lambda n: f"张{n}")
    gender = Gender.MALE
    birth_date = datetime.date(1980, 5, 17)
    phone = "13812345678"
    id_number = factory.LazyFunction(valid_id_number)
    is_party_member = True


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    cadre = factory.SubFactory(CadreFactory)
    division = factory.LazyAttribute(lambda o: o.cadre.division)
    committee = Committee.PARTY
    title = PostTitle.SECRETARY
    start_date = datetime.date(2021, 3, 1)


def division(code, name, level, kind, parent=None):
    return DivisionFactory(code=code, name=name, level=level, kind=kind, parent=parent)


def scoped_user(username, division_obj, role):
    user = UserFactory(username=username)
    UserScope.objects.get_or_create(user=user, division=division_obj, role=role)
    return user
