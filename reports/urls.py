from django.urls import path

from reports.views import official

# Pages of the officials' portal. The root URLconf routes them in the ``portal`` namespace together
# with the entitlements app's, so the dashboard keeps its name ``portal:dashboard``.
app_name = "portal"
urlpatterns = [
    path("dashboard/", official.dashboard, name="dashboard"),
]
