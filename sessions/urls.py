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
]
