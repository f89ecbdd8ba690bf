from django.urls import path

from ticketing import manual_views, views

app_name = "ticketing"

prefix = "<int:organisation_id>/billetteries/"

urlpatterns = [
    path(prefix, views.system_list, name="list"),
    path(f"{prefix}etat/", views.system_status, name="status"),
    path(f"{prefix}connecter/", views.system_connect, name="connect"),
    path(f"{prefix}<int:system_id>/identifiants/", views.system_credentials, name="credentials"),
    path(f"{prefix}<int:system_id>/deconnecter/", views.system_disconnect, name="disconnect"),
    path(f"{prefix}<int:system_id>/synchroniser/", views.system_sync, name="sync"),
    path(
        "<int:organisation_id>/spectacles/ajouter/", manual_views.manual_show_add, name="manual_add"
    ),
    path(
        "<int:organisation_id>/spectacles/<int:show_id>/modifier/",
        manual_views.manual_show_edit,
        name="manual_edit",
    ),
    path(
        "<int:organisation_id>/spectacles/<int:show_id>/supprimer/",
        manual_views.manual_show_delete,
        name="manual_delete",
    ),
]
