from django.urls import path

from declarations import sibil_views, views

app_name = "declarations"

show = "<int:organisation_id>/spectacles/<int:show_id>/"
declaration = f"{show}declaration/"

urlpatterns = [
    path(declaration, views.declaration_form, name="form"),
    path(f"{declaration}envoi/", views.declaration_review, name="review"),
    path(f"{declaration}corriger/", views.declaration_correct, name="correct"),
    path(f"{declaration}envois/", views.transmission_status, name="transmissions"),
    path(
        f"{declaration}envois/<int:transmission_id>/reessayer/",
        views.transmission_retry,
        name="retry",
    ),
    path(f"{declaration}documents/<int:file_id>/", views.transmission_file, name="file"),
    path(
        f"{declaration}<str:organism>/document.<str:kind>",
        views.show_tax_document,
        name="show_tax_document",
    ),
    path(f"{declaration}<str:organism>/declaree/", views.declaration_mark, name="mark"),
    path(f"{show}pieces-jointes/", views.attachment_upload, name="attachment_upload"),
    path(
        f"{show}pieces-jointes/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path(
        f"{show}pieces-jointes/<int:attachment_id>/supprimer/",
        views.attachment_delete,
        name="attachment_delete",
    ),
    path("<int:organisation_id>/sibil/", sibil_views.sibil_settings, name="sibil_settings"),
    path(
        "<int:organisation_id>/sibil/<int:year>-t<int:quarter>.csv",
        sibil_views.sibil_quarter_download,
        name="sibil_quarter",
    ),
]
