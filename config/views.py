"""Public pages, error pages and well-known files."""

import datetime
import logging

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

from config.context_processors import base_context

logger = logging.getLogger(__name__)


class PageView(TemplateView):
    """A static page: a template, a title and, unless `breadcrumb` is False, a breadcrumb."""

    title = ""
    breadcrumb = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(title=self.title, **kwargs)
        if self.breadcrumb:
            context["breadcrumb_data"] = {"links": [], "current": self.title}
        return context


class TermsView(PageView):
    """The terms of use, showing the version in force (settings.TERMS_VERSION)."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context["terms_date"] = datetime.date.fromisoformat(settings.TERMS_VERSION)
        except ValueError:
            context["terms_date"] = None
        return context


def provider_help(request: HttpRequest, provider: str) -> HttpResponse:
    """How to connect one ticketing software: where its keys are, what we read."""
    from ticketing.providers import PROVIDERS

    info = PROVIDERS.get(provider)
    if info is None:
        raise Http404("Logiciel inconnu.")
    title = f"Comment connecter {info.name} ?"
    return render(
        request,
        "pages/provider_help.html",
        {
            "title": title,
            "info": info,
            "breadcrumb_data": {
                "links": [{"url": reverse("pages:help"), "title": "Aide"}],
                "current": title,
            },
        },
    )


@require_GET
@cache_control(max_age=86400, public=True)
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *"]
    if settings.IS_PRODUCTION:
        lines += [
            "Disallow: /compte/",
            "Disallow: /admin/",
            "Disallow: /tableau-de-bord/",
            "Disallow: /organisations/",
        ]
    else:
        lines += ["Disallow: /"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_GET
def security_txt(request: HttpRequest) -> HttpResponse:
    expires = (timezone.now() + datetime.timedelta(days=365)).replace(microsecond=0)
    lines = [
        f"Contact: mailto:{settings.SECURITY_CONTACT_EMAIL}",
        f"Expires: {expires.isoformat()}",
        "Preferred-Languages: fr, en",
        f"Canonical: {settings.BASE_URL}/.well-known/security.txt",
        f"Policy: {settings.BASE_URL}/mentions-legales/#securite",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", {"title": "Accès refusé"}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the 403 page, explaining that the form must be sent again."""
    return render(
        request,
        "errors/403.html",
        {"title": "Formulaire expiré", "csrf_failure": True},
        status=403,
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", {"title": "Page non trouvée"}, status=404)


FALLBACK_500 = """<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>Erreur inattendue — Assistant déclaration</title>
</head><body><main><h1>Erreur inattendue</h1>
<p>Le service rencontre un problème. Nous travaillons à le résoudre : merci de réessayer
dans quelques instants.</p><p><a href="/">Retour à l'accueil</a></p></main></body></html>
"""


def error_500(request: HttpRequest) -> HttpResponse:
    """Renders without context processors: no session, no user, no database query.

    The page must show even when PostgreSQL is unreachable, which is one cause of 500s.
    """
    context = {
        **base_context(),
        "request": request,
        "title": "Erreur inattendue",
        "minimal_page": True,
    }
    try:
        content = loader.get_template("errors/500.html").render(context)
    except Exception:
        logger.exception("The 500 page could not be rendered")
        content = FALLBACK_500
    return HttpResponseServerError(content)
