from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reviews import selectors
from reviews.choices import Grade, LevelStatus, Stage, TemplateStatus
from reviews.models import Campaign, ItemScore, PostRating, Review, ReviewLevel, ScorecardTemplate, VetoRule
from villages.api.fields import in_scope_codes


def choice_schema(choices) -> dict:
    """A string of the listed values, described without an enum: the schema turns every enum into a component
    named after its field, and "level" and "status" name different choice sets in different apps."""
    values = [value for value, _label in choices]
    return {
        "type": "string",
        "pattern": "^(" + "|".join(values) + ")$",
        "description": "One of: " + ", ".join(v or '"" (none)' for v in values),
    }


def _inline_choices(choices):
    @extend_schema_field(choice_schema(choices))
    class DescribedChoiceField(serializers.ChoiceField):
        pass

    return DescribedChoiceField(choices=choices, read_only=True)


def _optional_grade():
    return _inline_choices([("", "—"), *Grade.choices])


class TemplateSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = _inline_choices(TemplateStatus.choices)
    in_use = serializers.SerializerMethodField()

    class Meta:
        model = ScorecardTemplate
        fields = [
            "id",
            "division",
            "name",
            "year",
            "version",
            "status",
            "good_min",
            "fairly_good_min",
            "average_min",
            "copied_from",
            "in_use",
        ]

    def get_in_use(self, obj) -> bool:
        return obj.in_use


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    content = serializers.CharField()
    explanation = serializers.CharField()
    rule = serializers.CharField()
    max_points = serializers.DecimalField(max_digits=4, decimal_places=1)
    note_required = serializers.BooleanField()


class ElementSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    items = ItemSerializer(many=True)


class CheckSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    name = serializers.CharField()
    max_points = serializers.DecimalField(max_digits=5, decimal_places=1)
    elements = ElementSerializer(many=True)


class VetoSerializer(serializers.ModelSerializer):
    class Meta:
        model = VetoRule
        fields = ["id", "name", "item", "grade"]


class TemplateDetailSerializer(TemplateSerializer):
    checks = serializers.SerializerMethodField()
    vetoes = VetoSerializer(many=True, read_only=True)

    class Meta(TemplateSerializer.Meta):
        fields = [*TemplateSerializer.Meta.fields, "checks", "vetoes"]

    @extend_schema_field(CheckSerializer(many=True))
    def get_checks(self, obj):
        structure = selectors.template_structure(obj.pk)
        return CheckSerializer(
            [
                {
                    "number": c["check"].number,
                    "name": c["check"].name,
                    "max_points": c["max"],
                    "elements": [
                        {"number": e["element"].number, "name": e["element"].name, "items": e["items"]}
                        for e in c["elements"]
                    ],
                }
                for c in structure
            ],
            many=True,
        ).data


class SampleSerializer(serializers.Serializer):
    rule = serializers.CharField()
    share = serializers.DecimalField(max_digits=4, decimal_places=3)
    minimum = serializers.IntegerField()
    seed = serializers.IntegerField()
    drawn_codes = serializers.ListField(
        child=serializers.CharField(), help_text=_("The villages drawn that lie in your scope.")
    )
    drawn_at = serializers.DateTimeField()


class CampaignSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    review_count = serializers.IntegerField(read_only=True)
    sample = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "division", "name", "template", "start_date", "end_date", "review_count", "sample"]

    @extend_schema_field(SampleSerializer(allow_null=True))
    def get_sample(self, obj):
        draw = getattr(obj, "sample_draw", None)
        if not draw:
            return None
        data = SampleSerializer(draw).data
        # The county's draw names villages across the county: a township's reader sees those in its scope.
        data["drawn_codes"] = in_scope_codes(self.context, data["drawn_codes"])
        return data


class LevelSummarySerializer(serializers.ModelSerializer):
    level = _inline_choices(Stage.choices)
    status = _inline_choices(LevelStatus.choices)
    grade = _optional_grade()

    class Meta:
        model = ReviewLevel
        fields = ["id", "level", "status", "version", "total_score", "scored_count", "grade", "submitted_at"]


class PostRatingSerializer(serializers.ModelSerializer):
    title = serializers.CharField(source="post.get_title_display", read_only=True)
    committee = serializers.CharField(source="post.committee", read_only=True)
    cadre_name = serializers.CharField(source="post.cadre.name", read_only=True)

    class Meta:
        model = PostRating
        fields = ["post", "committee", "title", "cadre_name", "grade", "note", "rated_at"]


class ReviewSerializer(serializers.ModelSerializer):
    village = serializers.SlugRelatedField(slug_field="code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    levels = LevelSummarySerializer(many=True, read_only=True)
    final_grade = _optional_grade()
    final_stage = _inline_choices([("", "—"), *Stage.choices])

    closed_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Review
        fields = [
            "id",
            "campaign",
            "village",
            "village_name",
            "sampled",
            "final_grade",
            "final_stage",
            "closed_at",
            "levels",
        ]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        sees_upper = self.context.get("sees_upper")
        if sees_upper is not None and not sees_upper(instance):
            # The final grade is the township's or the county's: not the village's to read before the close.
            data["final_grade"], data["final_stage"] = "", ""
            if "post_ratings" in data:
                data["post_ratings"] = []
        return data


class ReviewDetailSerializer(ReviewSerializer):
    post_ratings = PostRatingSerializer(many=True, read_only=True)

    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "post_ratings"]


class ItemScoreSerializer(serializers.ModelSerializer):
    number = serializers.IntegerField(source="item.number", read_only=True)

    class Meta:
        model = ItemScore
        fields = ["item", "number", "score", "passed", "note"]


class LevelSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="review.village.code", read_only=True)
    submitted_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    updated_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    conditions = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    scores = ItemScoreSerializer(many=True, read_only=True)
    level = _inline_choices(Stage.choices)
    status = _inline_choices(LevelStatus.choices)
    grade = _optional_grade()

    class Meta:
        model = ReviewLevel
        fields = [
            "id",
            "review",
            "village",
            "level",
            "status",
            "version",
            "total_score",
            "scored_count",
            "grade",
            "veto_reasons",
            "conditions",
            "onsite_visits",
            "onsite_talks",
            "onsite_documents",
            "onsite_notes",
            "first_evaluation",
            "updated_by",
            "updated_at",
            "submitted_by",
            "submitted_at",
            "returned_reason",
            "returned_at",
            "reopened_reason",
            "reopened_at",
            "scores",
        ]


class ScoreInputSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text=_("The item's id (see the template)."))
    score = serializers.DecimalField(max_digits=4, decimal_places=1, required=False, allow_null=True)
    passed = serializers.BooleanField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class LevelScoresInputSerializer(serializers.Serializer):
    """A draft of the level: some or all items; items not sent keep what they had."""

    version = serializers.IntegerField(min_value=0, help_text=_("The version you read; a newer one refuses the save."))
    scores = ScoreInputSerializer(many=True)
    conditions = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text=_("Ids of the named veto conditions found.")
    )
    onsite_visits = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    onsite_talks = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    onsite_documents = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    onsite_notes = serializers.CharField(required=False, allow_blank=True)
    first_evaluation = serializers.CharField(required=False, allow_blank=True)

    def validate_scores(self, value):
        ids = [row["item"] for row in value]
        if len(ids) != len(set(ids)):
            raise serializers.ValidationError(_("An item appears twice."))
        return value


class VersionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0)


class ReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


def _counts_serializer(name):
    fields = {key: serializers.IntegerField() for key in [*Grade.values, "pending", "submitted", "total"]}
    return type(name, (serializers.Serializer,), fields)


StatsCountsSerializer = _counts_serializer("ReviewStatsCounts")


class StatsLevelsSerializer(serializers.Serializer):
    village = StatsCountsSerializer()
    township = StatsCountsSerializer()
    county = StatsCountsSerializer()


class StatsBlockSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    final = StatsCountsSerializer(help_text=_("Final grades: the highest submitted level's, above the village's own."))
    levels = StatsLevelsSerializer(help_text=_("Each level's grades; pending until the level is submitted."))


class ReviewStatsSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    definition = serializers.CharField()
    division = StatsBlockSerializer()
    children = StatsBlockSerializer(many=True)
    computed_at = serializers.DateTimeField(
        help_text="when these counts were computed (from the reviews as they stand)"
    )
    rule_version = serializers.CharField(help_text="the version of the grading rules")
