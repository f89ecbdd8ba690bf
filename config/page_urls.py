from django.urls import path

from accounts.organisation_views import dashboard
from config import views
from config.views import PageView, TermsView

app_name = "pages"

urlpatterns = [
    path(
        "",
        PageView.as_view(template_name="pages/home.html", title="Accueil", breadcrumb=False),
        name="home",
    ),
    path("tableau-de-bord/", dashboard, name="dashboard"),
    path(
        "questions-frequentes/",
        PageView.as_view(template_name="pages/faq.html", title="Questions fréquentes"),
        name="faq",
    ),
    path("aide/", PageView.as_view(template_name="pages/help.html", title="Aide"), name="help"),
    path("aide/billetteries/<slug:provider>/", views.provider_help, name="provider_help"),
    path(
        "accessibilite/",
        PageView.as_view(
            template_name="pages/accessibility.html", title="Déclaration d'accessibilité"
        ),
        name="accessibility",
    ),
    path(
        "mentions-legales/",
        PageView.as_view(template_name="pages/legal_notice.html", title="Mentions légales"),
        name="legal_notice",
    ),
    path(
        "politique-de-confidentialite/",
        PageView.as_view(template_name="pages/privacy.html", title="Politique de confidentialité"),
        name="privacy",
    ),
    path(
        "modalites-d-utilisation/",
        TermsView.as_view(template_name="pages/terms.html", title="Modalités d'utilisation"),
        name="terms",
    ),
    path(
        "plan-du-site/",
        PageView.as_view(template_name="pages/sitemap.html", title="Plan du site"),
        name="sitemap",
    ),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
]
