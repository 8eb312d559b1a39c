from django.urls import path

from entitlements import views

# Pages of the officials' portal. The root URLconf routes them in the ``portal`` namespace together
# with the reports app's (the official's dashboard, ``portal:dashboard``).
app_name = "portal"
urlpatterns = [
    path("institutions/<int:pk>/", views.institution_detail, name="institution_detail"),
    path("calculator/", views.calculator, name="calculator"),
]
