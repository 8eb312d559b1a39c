"""Routes of the entitlements API, included under /api/v1/."""

from entitlements.api.institutions import InstitutionViewSet
from entitlements.api.programs import ProgramViewSet
from kamusm_portal.api import ApiRouter

router = ApiRouter()
router.register("programs", ProgramViewSet, basename="program")
router.register("institutions", InstitutionViewSet, basename="institution")

urlpatterns = router.urls
