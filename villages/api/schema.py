"""The OpenAPI description of the statistics endpoints: their answers' shapes, every status they answer with its
body, the validators and limits in their headers, and an example for every parameter. The conformance test
(``tests/villages/test_stats_schema.py``) checks the live answers against it, status codes included."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, PolymorphicProxySerializer
from rest_framework import serializers

from villages.choices import Level, StarStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JSON = "application/json"


class ErrorSerializer(serializers.Serializer):
    """A refusal that names no field: 401, 403, 404, 429."""

    detail = serializers.CharField(help_text="what went wrong, in the request's language")


# A 400: each parameter that is wrong → what is wrong with it, in the request's language.
FIELD_ERRORS = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"period": ["There is no statistic called x."]},
}


def _error(description: str):
    return OpenApiResponse(ErrorSerializer, description=description)


def stats_responses(ok, *, files: bool = False, bad_request: bool = True, not_found: bool = True) -> dict:
    """Every status a statistics endpoint answers with, each with its body: the table (and its CSV and .xlsx
    renderings when ``files``), 304 to a conditional request whose copy is current, and the errors (JSON whatever
    format was asked)."""
    responses = {(200, JSON): ok}
    if files:
        responses[(200, "text/csv")] = OpenApiResponse(OpenApiTypes.BINARY, description="the table as CSV (UTF-8)")
        responses[(200, XLSX)] = OpenApiResponse(OpenApiTypes.BINARY, description="the table as an .xlsx workbook")
    responses[304] = OpenApiResponse(
        description="Not Modified: the figures are those of the ETag (If-None-Match) or unchanged since the date "
        "(If-Modified-Since); nothing was computed"
    )
    if bad_request:
        responses[(400, JSON)] = OpenApiResponse(
            FIELD_ERRORS, description="a parameter is wrong: its name → what is wrong with it"
        )
    responses[(401, JSON)] = _error("no credentials, or a token expired or revoked")
    responses[(403, JSON)] = _error("the account's roles may not read statistics")
    if not_found:
        responses[(404, JSON)] = _error("no such division (or statistic) within the token's scopes")
    responses[(429, JSON)] = _error("the token's rate (SHANZHI_STATS_RATE) is spent: wait Retry-After seconds")
    return responses


def _header(name: str, description: str, statuses) -> OpenApiParameter:
    return OpenApiParameter(
        name, OpenApiTypes.STR, location=OpenApiParameter.HEADER, response=statuses, description=description
    )


# The response headers every statistics answer carries.
HEADERS = [
    _header("ETag", "the version of the data the answer read: send it back as If-None-Match", [200, 304]),
    _header("Last-Modified", "when the figures last changed (a tally that wrote them), if known", [200, 304]),
    _header("Cache-Control", "private, max-age: figures move at most a recompute delay after a change", [200, 304]),
    _header("Retry-After", "seconds until the token may call again", [429]),
]


def param(name: str, kind, example, description: str, **kwargs) -> OpenApiParameter:
    """A query parameter with its example (shown in the docs, and tried first by a schema fuzzer)."""
    return OpenApiParameter(
        name, kind, description=description, examples=[OpenApiExample(name, value=example)], **kwargs
    )


def format_param(choices=("json", "csv", "xlsx")) -> OpenApiParameter:
    return param("format", OpenApiTypes.STR, "json", "the answer's format (default json)", enum=list(choices))


# --- the answers' shapes -----------------------------------------------------------------------------------------

KINDS = ["rate", "count"]
PERIOD_KINDS = ["year", "quarter", "month", "campaign"]


class StatisticSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    kind = serializers.ChoiceField(
        choices=[*KINDS, "table"], help_text="rate (numerator ÷ denominator), count, or table (an app's own)"
    )
    periods = serializers.ListField(
        child=serializers.ChoiceField(choices=PERIOD_KINDS), help_text="kinds of period served (none for a table)"
    )
    url = serializers.URLField()


class FigureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.ChoiceField(choices=Level.choices)
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True, help_text="null for a count")
    rate = serializers.FloatField(allow_null=True, help_text="numerator ÷ denominator, 4 decimals; null if 0/0")
    inputs = serializers.DictField(help_text="the figures the numerator and denominator were made of")
    computed_at = serializers.DateTimeField(help_text="when the tally that computed this figure finished")
    rule_version = serializers.CharField(help_text="the version of the rules it was computed under")


class MetricTableSerializer(serializers.Serializer):
    metric = serializers.CharField()
    label = serializers.CharField()
    definition = serializers.CharField()
    kind = serializers.ChoiceField(choices=KINDS)
    period = serializers.CharField()
    snapshot = serializers.IntegerField(
        allow_null=True, help_text="the latest tally run that changed the county's figures of the period"
    )
    division = FigureSerializer(allow_null=True, help_text="null if the division was never tallied")
    children = FigureSerializer(many=True)


SERIES_COLUMNS = [
    "division",
    "division_name",
    "period",
    "metric",
    "numerator",
    "denominator",
    "rate",
    "computed_at",
    "rule_version",
]


class SeriesRowSerializer(serializers.Serializer):
    division = serializers.CharField()
    division_name = serializers.CharField()
    period = serializers.CharField()
    metric = serializers.CharField()
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True, help_text="for a rate: 4 decimals, null if 0/0; null for a count")
    computed_at = serializers.DateTimeField(help_text="when the tally that computed the figure finished")
    rule_version = serializers.CharField()


class SeriesPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="the next page's URL; null on the last page")
    changes_cursor = serializers.IntegerField(help_text="the change feed's position read before the rows")
    periods = serializers.ListField(child=serializers.CharField(), help_text="the periods the expression named")
    columns = serializers.ListField(child=serializers.ChoiceField(choices=SERIES_COLUMNS))
    results = SeriesRowSerializer(many=True)


class ChangeSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    division = serializers.CharField()
    division_name = serializers.CharField(allow_null=True, help_text="null if the division itself is gone")
    period = serializers.CharField()
    metric = serializers.CharField()
    removed = serializers.BooleanField(help_text="the row is gone: delete it (and the figures below are null)")
    numerator = serializers.IntegerField(allow_null=True)
    denominator = serializers.IntegerField(allow_null=True)
    rate = serializers.FloatField(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    rule_version = serializers.CharField(allow_null=True)


class ChangesPageSerializer(serializers.Serializer):
    since = serializers.IntegerField()
    next = serializers.IntegerField(help_text="the cursor to ask from next time")
    has_more = serializers.BooleanField(help_text="true: ask again from next now")
    results = ChangeSerializer(many=True)


class StarTallySerializer(serializers.Serializer):
    by_level = serializers.DictField(
        child=serializers.IntegerField(), help_text='villages by number of stars, "0" to "5"'
    )
    by_type = serializers.DictField(child=serializers.IntegerField(), help_text="villages per star type's code")


class StarUnitSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    villages = serializers.IntegerField()
    awarded = StarTallySerializer()
    proposed = StarTallySerializer()


class StarCountsSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    division = StarUnitSerializer()
    children = StarUnitSerializer(many=True)


class StarReasonSerializer(serializers.Serializer):
    met = serializers.BooleanField()
    text = serializers.CharField()
    label = serializers.CharField(allow_blank=True)
    metric = serializers.CharField(required=False)
    value = serializers.CharField(required=False, allow_null=True)
    threshold = serializers.CharField(required=False)
    comparison = serializers.CharField(required=False)
    numerator = serializers.IntegerField(required=False)
    denominator = serializers.IntegerField(required=False, allow_null=True)


class VillageStarSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    awarded = serializers.BooleanField()
    status = serializers.ChoiceField(choices=StarStatus.choices, allow_null=True)
    proposed = serializers.BooleanField(allow_null=True, help_text="null: no tally proposed it yet")
    reasons = StarReasonSerializer(many=True)
    summary = serializers.CharField(allow_blank=True)
    change = serializers.ChoiceField(choices=["gained", "removed", ""], help_text="against last year's award")


class VillageStarsSerializer(serializers.Serializer):
    village = serializers.CharField()
    name = serializers.CharField()
    year = serializers.IntegerField()
    stars = VillageStarSerializer(many=True)


class WatchFactSerializer(serializers.Serializer):
    metric = serializers.CharField()
    text = serializers.CharField()
    count = serializers.IntegerField()
    previous = serializers.IntegerField()


class WatchVillageSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    township = serializers.CharField(allow_blank=True)
    url = serializers.CharField()
    facts = WatchFactSerializer(many=True)


class WatchListSerializer(serializers.Serializer):
    division = serializers.CharField()
    period = serializers.CharField()
    villages = WatchVillageSerializer(many=True)


# ``division=`` answers the counts, ``village=`` one village's stars.
PolymorphicStars = PolymorphicProxySerializer(
    component_name="StarsAnswer",
    serializers=[StarCountsSerializer, VillageStarsSerializer],
    resource_type_field_name=None,
)
