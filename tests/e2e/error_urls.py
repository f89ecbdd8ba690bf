"""URLconf for browser tests: the real one plus two views that fail on purpose."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from config.urls import handler403, handler404, handler500, urlpatterns  # noqa: F401


def forbidden(request):
    raise PermissionDenied


def crash(request):
    raise RuntimeError("Erreur provoquée par le test")


urlpatterns = [
    *urlpatterns,
    path("_test/403/", forbidden),
    path("_test/500/", crash),
]
