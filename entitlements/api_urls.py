"""Routes of the entitlements API, included under /api/v1/."""

from rest_framework.routers import SimpleRouter

from entitlements.api.institutions import InstitutionViewSet
from entitlements.api.programs import ProgramViewSet

router = SimpleRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("institutions", InstitutionViewSet, basename="institution")

urlpatterns = router.urls
