from django.urls import path

from sessions import views

app_name = "sessions_portal"
urlpatterns = [
    path("catalog/", views.catalog, name="catalog"),
    path("catalog/materials/<int:pk>/", views.material_download, name="material_download"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/<int:pk>/reserve/", views.reserve, name="reserve"),
    path("reservations/", views.reservations, name="reservations"),
    path("reservations/<int:pk>/cancel/", views.reservation_cancel_view, name="reservation_cancel"),
    path("participants/", views.participants, name="participants"),
    path("participants/add/", views.participant_add, name="participant_add"),
    path("participants/<int:pk>/edit/", views.participant_edit, name="participant_edit"),
    path("participants/<int:pk>/delete/", views.participant_remove, name="participant_delete"),
    # On-site training (categories 1-5): the institution's requests, sessions and rosters.
    path("requests/", views.requests, name="requests"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/cancel/", views.request_cancel, name="request_cancel"),
    path("onsite/", views.onsite_sessions, name="onsite_sessions"),
    path("onsite/<int:pk>/", views.onsite_session, name="onsite_session"),
    path("onsite/<int:pk>/roster/<int:enrolment_pk>/remove/", views.enrolment_remove, name="enrolment_remove"),
    # Trainers: work plan, calendar feed (no login: the secret link is the key).
    path("trainers/schedule/", views.trainer_schedule, name="trainer_schedule"),
    path("trainers/unavailability/<int:pk>/delete/", views.unavailability_remove, name="unavailability_delete"),
    path("trainers/calendar/renew/", views.trainer_calendar_renew, name="trainer_calendar_renew"),
    path("trainers/calendar/<str:token>.ics", views.trainer_calendar_feed, name="trainer_calendar"),
]
