"""Routes of the entitlements API, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from entitlements.api import InstitutionViewSet, ProgramViewSet

router = SimpleRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("institutions", InstitutionViewSet, basename="institution")

urlpatterns = router.urls
