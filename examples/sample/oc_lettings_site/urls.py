from django.contrib import admin
from django.urls import include, path

from . import views

handler404 = "oc_lettings_site.views.page_not_found"
handler500 = "oc_lettings_site.views.server_error"

urlpatterns = [
    path("", views.index, name="index"),
    path("health/", views.health, name="health"),
    path("sentry-debug/", views.trigger_error, name="sentry-debug"),
    path("lettings/", include("lettings.urls")),
    path("profiles/", include("profiles.urls")),
    path("admin/", admin.site.urls),
]
