"""Error pages: 403 (and CSRF failures), 404 and 500, the last one without any database."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject

from config import views
from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns
from tests.pages.helpers import h1_texts, page_title


def database_down(request):
    raise OperationalError("connection to server failed")


urlpatterns = [*site_urlpatterns, path("_test/database-down/", database_down)]


def broken_user():
    raise AssertionError("the 500 page must not look at the user")


@pytest.mark.django_db
def test_unknown_url_renders_the_404_page(client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert h1_texts(html) == ["Page non trouvée"]
    assert page_title(html) == "Page non trouvée — Assistant déclaration"
    assert "Erreur 404" in html
    assert f'href="{reverse("pages:home")}">Page d\'accueil</a>' in html
    assert 'class="fr-breadcrumb"' not in html


@pytest.mark.django_db
def test_404_handler(rf):
    request = rf.get("/absent/")
    request.user = AnonymousUser()
    response = views.error_404(request, Http404())
    assert response.status_code == 404
    assert "Page non trouvée" in response.content.decode()


@pytest.mark.django_db
def test_403_handler(rf):
    request = rf.get("/interdit/")
    request.user = AnonymousUser()
    response = views.error_403(request, PermissionDenied())
    assert response.status_code == 403
    html = response.content.decode()
    assert h1_texts(html) == ["Accès refusé"]
    assert "Erreur 403" in html


@pytest.mark.django_db
def test_csrf_failure_view(rf):
    request = rf.post("/compte/connexion/")
    request.user = AnonymousUser()
    response = views.csrf_failure(request, reason="CSRF cookie not set.")
    assert response.status_code == 403
    html = response.content.decode()
    assert h1_texts(html) == ["Formulaire expiré"]
    assert page_title(html) == "Formulaire expiré — Assistant déclaration"
    assert "CSRF cookie not set" not in html


@pytest.mark.django_db
def test_csrf_failure_through_the_middleware(client, settings):
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("accounts:login"), {"username": "a@b.fr", "password": "x"})
    assert response.status_code == 403
    assert h1_texts(response.content.decode()) == ["Formulaire expiré"]


def test_500_handler_renders_without_database_nor_user(rf):
    """No django_db mark: any database access here would fail the test."""
    request = rf.get("/")
    request.user = SimpleLazyObject(broken_user)
    response = views.error_500(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert h1_texts(html) == ["Erreur inattendue"]
    assert page_title(html) == "Erreur inattendue — Assistant déclaration"
    assert "Erreur 500" in html
    assert "Se déconnecter" not in html
    assert "Se connecter" not in html
    assert "csrfmiddlewaretoken" not in html
    assert 'href="/aide/"' in html
    assert 'class="fr-footer"' in html


def test_500_handler_falls_back_to_plain_html(rf, monkeypatch):
    def broken_template(name):
        raise RuntimeError("template engine broken")

    monkeypatch.setattr(views.loader, "get_template", broken_template)
    response = views.error_500(rf.get("/"))
    assert response.status_code == 500
    assert "<h1>Erreur inattendue</h1>" in response.content.decode()


def test_500_page_through_the_stack_when_the_database_is_down(client, settings):
    """No django_db mark: the database is unreachable for this test, as in an outage."""
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    client.cookies["sessionid"] = "a" * 32  # a signed-in visitor: the session is not read
    response = client.get("/_test/database-down/")
    assert response.status_code == 500
    html = response.content.decode()
    assert h1_texts(html) == ["Erreur inattendue"]
    assert "Erreur 500" in html
