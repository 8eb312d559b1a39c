from django.urls import path

from sessions.views import attendance, catalog, classroom, onsite, participants, trainers

app_name = "sessions_portal"
urlpatterns = [
    path("catalog/", catalog.catalog, name="catalog"),
    path("catalog/materials/<int:pk>/", catalog.material_download, name="material_download"),
    path("sessions/", classroom.sessions, name="sessions"),
    path("sessions/<int:pk>/reserve/", classroom.reserve, name="reserve"),
    path("reservations/", classroom.reservations, name="reservations"),
    path("reservations/<int:pk>/cancel/", classroom.reservation_cancel_view, name="reservation_cancel"),
    path("participants/", participants.participants, name="participants"),
    path("participants/add/", participants.participant_add, name="participant_add"),
    path("participants/<int:pk>/edit/", participants.participant_edit, name="participant_edit"),
    path("participants/<int:pk>/delete/", participants.participant_remove, name="participant_delete"),
    # On-site training (categories 1-5): the institution's requests, sessions and rosters.
    path("requests/", onsite.requests, name="requests"),
    path("requests/new/", onsite.request_new, name="request_new"),
    path("requests/<int:pk>/cancel/", onsite.request_cancel, name="request_cancel"),
    path("onsite/", onsite.onsite_sessions, name="onsite_sessions"),
    path("onsite/<int:pk>/", onsite.onsite_session, name="onsite_session"),
    path("onsite/<int:pk>/roster/<int:enrolment_pk>/remove/", attendance.enrolment_remove, name="enrolment_remove"),
    # Trainers: work plan, calendar feed (no login: the secret link is the key).
    path("trainers/schedule/", trainers.trainer_schedule, name="trainer_schedule"),
    path("trainers/unavailability/<int:pk>/delete/", trainers.unavailability_remove, name="unavailability_delete"),
    path("trainers/calendar/renew/", trainers.trainer_calendar_renew, name="trainer_calendar_renew"),
    path("trainers/calendar/<str:token>.ics", trainers.trainer_calendar_feed, name="trainer_calendar"),
]
