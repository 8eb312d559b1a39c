"""Routes of the sessions API, included under /api/v1/."""

from django.urls import path

from kamusm_portal.api import ApiRouter
from sessions.api.catalog import CourseViewSet, VenueViewSet
from sessions.api.classroom import ReservationViewSet, SessionViewSet
from sessions.api.onsite import TrainingRequestViewSet
from sessions.api.participants import ParticipantViewSet
from sessions.api.trainers import TrainerViewSet
from sessions.api.usage import InstitutionEntitlementsView

router = ApiRouter()
router.register("courses", CourseViewSet, basename="course")
router.register("venues", VenueViewSet, basename="venue")
router.register("participants", ParticipantViewSet, basename="participant")
router.register("sessions", SessionViewSet, basename="session")
router.register("reservations", ReservationViewSet, basename="reservation")
router.register("training-requests", TrainingRequestViewSet, basename="training-request")
router.register("trainers", TrainerViewSet, basename="trainer")

urlpatterns = [
    # The router's own pattern for a detail route, so this reads as the institution's other routes do.
    path(
        "institutions/<id:pk>/entitlements/",
        InstitutionEntitlementsView.as_view(),
        name="institution-entitlements",
    ),
    *router.urls,
]
