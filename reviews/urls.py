from django.urls import path, register_converter

from . import views
from .choices import Stage


class StageConverter:
    regex = "|".join(Stage.values)

    def to_python(self, value):
        return value

    def to_url(self, value):
        return str(value)


register_converter(StageConverter, "stage")

app_name = "reviews"

urlpatterns = [
    path("divisions/<str:code>/", views.board, name="board"),
    path("divisions/<str:code>/gaps/", views.gaps, name="gaps"),
    path("divisions/<str:code>/ledger.xlsx", views.ledger, name="ledger"),
    path("divisions/<str:code>/campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/sample/", views.sample_draw, name="sample_draw"),
    path("campaigns/<int:pk>/close/", views.campaign_close_ready, name="campaign_close_ready"),
    path("<int:pk>/", views.review_detail, name="review"),
    path("<int:pk>/compare/", views.compare, name="compare"),
    path("<int:pk>/ratings/", views.post_rating, name="post_rating"),
    path("<int:pk>/close/", views.review_close, name="review_close"),
    path("<int:pk>/open-township/", views.township_open_early, name="township_open_early"),
    path("<int:pk>/<stage:level>/", views.level_detail, name="level"),
    path("<int:pk>/<stage:level>/save/", views.level_save, name="level_save"),
    path("<int:pk>/<stage:level>/submit/", views.level_submit, name="level_submit"),
    path("<int:pk>/<stage:level>/return/", views.level_return, name="level_return"),
    path("<int:pk>/<stage:level>/reopen/", views.level_reopen, name="level_reopen"),
    path("<int:pk>/<stage:level>/print/", views.level_print, name="level_print"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template"),
    path("templates/<int:pk>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:pk>/copy/", views.template_copy, name="template_copy"),
    path("templates/<int:pk>/publish/", views.template_publish, name="template_publish"),
    path("templates/<int:pk>/vetoes/", views.veto_add, name="veto_add"),
    path("vetoes/<int:pk>/delete/", views.veto_delete, name="veto_delete"),
]
