"""The development mailbox, included by config/urls.py only when DEBUG."""

from django.urls import path

from notifications import dev_views

app_name = "dev_emails"

urlpatterns = [
    path("", dev_views.email_list, name="list"),
    path("<int:pk>/", dev_views.email_detail, name="detail"),
]
