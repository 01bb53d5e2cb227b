"""One saved row of any model, placed in a given village (or its county), for the admin's permission matrix.

Required fields get a plain value of their type (the first choice, 1, today, …); a required foreign key to a
division gets the village (or, where the row belongs to a county, the village's county); any other required
foreign key gets a row built the same way in the same village. A model whose constraints want more says so in
OVERRIDES. Rows of one model in one place are built once (``Builder`` remembers them).
"""

import datetime
import itertools

from django.core.files.base import ContentFile
from django.db import models
from django.utils import timezone

from tests.factories import UserFactory
from villages.models import Division

_counter = itertools.count(1)

# Fields whose division is the county, not the village.
COUNTY_FIELDS = {
    "villages.TallyRun.county",
    "reviews.Campaign.division",
    "reviews.Problem.county",
    "reviews.CommonMeasure.county",
    "reviews.ScorecardTemplate.division",
    "grids.GridRules.county",
    "villages.CountyWebhook.county",
}


def _grid_code(division, n):
    return f"{division.code}{n % 1000:03d}"


OVERRIDES = {
    "grids.Grid": lambda division, n: {"code": _grid_code(division, n)},
    "grids.Household": lambda division, n: {"members_count": 1, "address": f"住址{n}"},
    "grids.GridRules": lambda division, n: {},
    "reviews.EvaluationScale": lambda division, n: {"options": ["称职", "不称职"], "failing": "不称职"},
    "reviews.Campaign": lambda division, n: {
        "start_date": datetime.date(2026, 1, 1),
        "end_date": datetime.date(2026, 12, 31),
    },
    "reviews.Evidence": lambda division, n: {
        "file": ContentFile(b"%PDF-1.4\n%%EOF\n", name=f"evidence{n}.pdf"),
        "content_type": "application/pdf",
        "extension": "pdf",
        "sha256": "0" * 64,
    },
    "reviews.Evaluation": lambda division, n: {"counts": {"称职": 1}},
    "reviews.RecordBookPublication": lambda division, n: {"entries": [], "period": f"2026-{n % 12 + 1:02d}"},
    "reviews.ScorecardTemplate": lambda division, n: {"division": _county(division)},
    "villages.Post": lambda division, n: {"end_date": datetime.date(2026, 6, 30)},  # not the current holder
    "grids.ServiceRequest": lambda division, n: {"due_at": timezone.now() + datetime.timedelta(days=3)},
    "villages.Adjustment": lambda division, n: {"kind": "removal"},
    "villages.CountyWebhook": lambda division, n: {"url": f"https://robot.example.gov.cn/send?key={n}"},
    # A scope of a user of its own: the matrix's administrator must not gain the scopes it builds.
    "villages.UserScope": lambda division, n: {"role": "village_secretary", "user": UserFactory()},
}


def _county(division):
    return Division.objects.get(code=division.code[:6] + "000000")


class Builder:
    def __init__(self, user):
        self.user = user
        self.made: dict = {}

    def get(self, model, division):
        key = (model, division.pk)
        if key not in self.made:
            self.made[key] = self.build(model, division)
        return self.made[key]

    def build(self, model, division, **given):
        if model is Division:
            return division
        n = next(_counter)
        label = model._meta.label
        values = {**OVERRIDES.get(label, lambda d, n: {})(division, n), **given}
        for field in model._meta.concrete_fields:
            if field.name in values or field.primary_key or field.auto_created:
                continue
            if field.null or field.has_default() or (field.blank and not field.is_relation):
                continue
            if getattr(field, "auto_now", False):
                continue
            if getattr(field, "auto_now_add", False):
                continue
            values[field.name] = self.value(model, field, division, n)
        return model._default_manager.create(**values)

    def value(self, model, field, division, n):
        if field.is_relation:
            related = field.related_model
            if related is Division:
                return _county(division) if f"{model._meta.label}.{field.name}" in COUNTY_FIELDS else division
            if related is type(self.user):
                return self.user
            if field.one_to_one:
                return self.build(related, division)
            return self.get(related, division)
        if field.choices:
            return field.choices[0][0]
        if isinstance(field, models.FileField):
            return ContentFile(b"x", name=f"f{n}.txt")
        if isinstance(field, models.SlugField):
            return f"s{n}"
        if isinstance(field, models.CharField | models.TextField):
            text = f"{field.name}{n}"
            return text[: field.max_length] if field.max_length else text
        if isinstance(field, models.DecimalField):
            return 1
        if isinstance(field, models.IntegerField):
            return 1 if field.name != "year" else 2026
        if isinstance(field, models.DateTimeField):
            return timezone.now()
        if isinstance(field, models.DateField):
            return datetime.date(2026, 3, 1)
        if isinstance(field, models.BooleanField):
            return False
        if isinstance(field, models.JSONField):
            return {}
        raise NotImplementedError(f"{model._meta.label}.{field.name}: {type(field).__name__}")
