from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("grids", views.GridViewSet, basename="grid")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("service-requests", views.ServiceRequestViewSet, basename="service-request")
router.register("service-items", views.ServiceItemViewSet, basename="service-item")

urlpatterns = router.urls
