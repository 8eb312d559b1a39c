from django.urls import path

from entitlements import views

app_name = "portal"
urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("calculator/", views.calculator, name="calculator"),
]
