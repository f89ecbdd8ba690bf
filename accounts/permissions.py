"""The one membership check of every organisation-scoped view.

A view decorated with `organisation_view(...)` receives `organisation_id` from its URL; the
decorator loads the user's membership of that organisation in one query and:
- sends anonymous visitors to the login page;
- answers 404 when the user is not a member, whether the organisation exists or not;
- answers 403 when the member's role is not allowed for the HTTP method;
- otherwise sets `request.organisation` and `request.membership` and calls the view.

`owner_methods` lists the methods reserved to owners: ("POST",) for a page that members may
read but only owners may change, or ALL_METHODS for a page reserved to owners.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from accounts.models import Membership, Organisation

ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class OrganisationRequest(HttpRequest):
    """For type checkers: what an organisation view receives."""

    organisation: Organisation
    membership: Membership


def organisation_view(
    *, owner_methods: Iterable[str] = ()
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    reserved = frozenset(method.upper() for method in owner_methods)
    # An allowlist: a method nobody thought of (PROPFIND…) is reserved to owners too.
    member_methods = frozenset({"GET", "HEAD", "POST"}) - reserved

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, organisation_id: int, *args, **kwargs) -> HttpResponse:
            membership = (
                Membership.objects.select_related("organisation")
                .filter(organisation_id=organisation_id, user_id=request.user.pk)
                .first()
            )
            if membership is None:
                raise Http404("Organisation introuvable.")
            if not membership.is_owner and request.method not in member_methods:
                raise PermissionDenied(
                    "Cette action est réservée aux propriétaires de l'organisation."
                )
            request.organisation = membership.organisation
            request.membership = membership
            return view(request, *args, **kwargs)

        # Read by the authorisation test, which checks every organisation URL against its table.
        wrapped.organisation_owner_methods = reserved
        return login_required(wrapped)

    return decorator
