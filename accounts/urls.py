from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("inscription/", views.signup, name="signup"),
    path("inscription/confirmer/<uidb64>/<token>/", views.signup_confirm, name="signup_confirm"),
    path(
        "inscription/renvoyer-la-confirmation/",
        views.confirmation_resend,
        name="confirmation_resend",
    ),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("mot-de-passe-oublie/", views.password_reset, name="password_reset"),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("", views.account_settings, name="settings"),
    path("mot-de-passe/", views.password_change, name="password_change"),
    path("suppression/", views.account_delete, name="delete"),
]
