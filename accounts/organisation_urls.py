from django.urls import path

from accounts import organisation_views, team_views

app_name = "organisations"

org = "<int:organisation_id>/"

urlpatterns = [
    path("nouvelle/", organisation_views.organisation_search, name="search"),
    path("nouvelle/informations/", organisation_views.organisation_create, name="create"),
    path("nouvelle/demande-d-acces/", organisation_views.access_request, name="access_request"),
    path("invitation/<str:token>/", team_views.invitation, name="invitation"),
    path(
        "invitation/<str:token>/inscription/",
        team_views.invitation_signup,
        name="invitation_signup",
    ),
    path(org, organisation_views.organisation_home, name="home"),
    path(f"{org}parametres/", organisation_views.organisation_settings, name="settings"),
    path(f"{org}equipe/", team_views.team, name="team"),
    path(f"{org}equipe/inviter/", team_views.invite, name="invite"),
    path(
        f"{org}equipe/invitations/<int:invitation_id>/renvoyer/",
        team_views.invitation_resend,
        name="invitation_resend",
    ),
    path(
        f"{org}equipe/invitations/<int:invitation_id>/revoquer/",
        team_views.invitation_revoke,
        name="invitation_revoke",
    ),
    path(
        f"{org}equipe/membres/<int:membership_id>/role/",
        team_views.member_role,
        name="member_role",
    ),
    path(
        f"{org}equipe/membres/<int:membership_id>/retirer/",
        team_views.member_remove,
        name="member_remove",
    ),
    path(f"{org}quitter/", team_views.leave, name="leave"),
]
