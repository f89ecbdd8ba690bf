"""URLconf for browser tests of the DEBUG-only mailbox: the real one plus /dev/emails/."""

from django.urls import include, path

from config.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401

urlpatterns = [*urlpatterns, path("dev/emails/", include("notifications.dev_urls"))]
