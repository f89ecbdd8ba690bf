"""The project's URLs plus the development mailbox, which config/urls.py adds only when DEBUG."""

from django.urls import include, path

from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("dev/emails/", include("notifications.dev_urls"))]
