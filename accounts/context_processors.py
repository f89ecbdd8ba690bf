from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts.models import Membership


def _memberships(request: HttpRequest) -> list[Membership]:
    if not request.user.is_authenticated:
        return []
    return list(
        Membership.objects.filter(user=request.user)
        .select_related("organisation")
        .order_by("organisation__name")
    )


def organisations(request: HttpRequest) -> dict:
    """The organisation switcher of the header: the user's organisations (one query, only when
    a template reads them) and the organisation of the current URL, set by `organisation_view`."""
    return {
        "user_memberships": SimpleLazyObject(lambda: _memberships(request)),
        "current_organisation": getattr(request, "organisation", None),
        "current_membership": getattr(request, "membership", None),
    }
