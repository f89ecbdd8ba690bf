from django.conf import settings
from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("config.page_urls")),
    path("compte/", include("accounts.urls")),
    path("organisations/", include("accounts.organisation_urls")),
    path("organisations/", include("ticketing.urls")),
    path("organisations/", include("declarations.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("dev/emails/", include("notifications.dev_urls"))]

handler403 = "config.views.error_403"
handler404 = "config.views.error_404"
handler500 = "config.views.error_500"
