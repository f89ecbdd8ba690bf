"""The team page and its actions, and the invitation link."""

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import teams
from accounts.models import AccessRequest, Membership, Role, User
from accounts.organisation_forms import InvitationForm, InvitationSignupForm, RoleForm
from accounts.permissions import ALL_METHODS, organisation_view


def _team_redirect(request: HttpRequest) -> HttpResponse:
    return redirect("organisations:team", organisation_id=request.organisation.pk)


def _team_page(request: HttpRequest, invitation_form: InvitationForm, status: int = 200):
    organisation = request.organisation
    is_owner = request.membership.is_owner
    memberships = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    context = {
        "title": "Équipe",
        "organisation": organisation,
        "membership": request.membership,
        "is_owner": is_owner,
        "memberships": memberships,
        "owner_count": sum(1 for m in memberships if m.is_owner),
        "invitation_form": invitation_form,
        "roles": Role.choices,
    }
    if is_owner:
        context["invitations"] = organisation.invitations.pending().select_related("invited_by")
        context["access_requests"] = AccessRequest.objects.filter(
            organisation=organisation
        ).select_related("user")
    return render(request, "organisations/team.html", context, status=status)


@organisation_view()
def team(request: HttpRequest) -> HttpResponse:
    initial = {"email": request.GET.get("email", "")[:254]}
    return _team_page(request, InvitationForm(initial=initial))


@organisation_view(owner_methods=ALL_METHODS)
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = teams.invitation_create(
                organisation=request.organisation, invited_by=request.user, **form.cleaned_data
            )
        except teams.TeamRuleError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, f"Une invitation a été envoyée à {invitation.email}.")
            return _team_redirect(request)
    return _team_page(request, form, status=400)


def _team_action(request: HttpRequest, action, success: str, **kwargs) -> HttpResponse:
    try:
        action(organisation=request.organisation, **kwargs)
    except teams.TeamRuleError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return _team_redirect(request)


@organisation_view(owner_methods=ALL_METHODS)
@require_POST
def invitation_resend(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _team_action(
        request,
        teams.invitation_resend,
        "L'invitation a été renvoyée ; le lien précédent ne fonctionne plus.",
        invitation_id=invitation_id,
    )


@organisation_view(owner_methods=ALL_METHODS)
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    return _team_action(
        request,
        teams.invitation_revoke,
        "L'invitation est révoquée : son lien ne fonctionne plus.",
        invitation_id=invitation_id,
    )


@organisation_view(owner_methods=ALL_METHODS)
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choisissez le rôle « Propriétaire » ou « Membre ».")
        return _team_redirect(request)
    return _team_action(
        request,
        teams.member_role_change,
        "Le rôle a été modifié.",
        membership_id=membership_id,
        role=form.cleaned_data["role"],
        changed_by=request.user,
    )


@organisation_view(owner_methods=ALL_METHODS)
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = (
        Membership.objects.filter(organisation=request.organisation, pk=membership_id)
        .select_related("user")
        .first()
    )
    if member is None:
        messages.error(request, "Cette personne ne fait plus partie de l'organisation.")
        return _team_redirect(request)
    if request.method == "POST":
        return _team_action(
            request,
            teams.member_remove,
            f"{member.user.full_name} ne fait plus partie de l'organisation.",
            membership_id=membership_id,
            removed_by=request.user,
        )
    return render(
        request,
        "organisations/member_remove.html",
        {
            "title": "Retirer un membre",
            "organisation": request.organisation,
            "member": member,
        },
    )


@organisation_view()
def leave(request: HttpRequest) -> HttpResponse:
    organisation = request.organisation
    if request.method == "POST":
        try:
            teams.member_leave(organisation=organisation, user=request.user)
        except teams.TeamRuleError as error:
            messages.error(request, str(error))
            return redirect("organisations:leave", organisation_id=organisation.pk)
        messages.success(request, f"Vous avez quitté l'organisation « {organisation.name} ».")
        return redirect("pages:dashboard")
    return render(
        request,
        "organisations/leave.html",
        {"title": "Quitter l'organisation", "organisation": organisation},
    )


def _invalid_invitation(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "organisations/invitation_invalid.html",
        {"title": "Invitation invalide ou expirée"},
        status=400,
    )


@never_cache
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """The link from the invitation e-mail. Accepting needs a click (POST) while signed in with
    the invited address; visitors without an account create one here."""
    try:
        pending = teams.invitation_from_token(token)
    except teams.InvalidInvitation:
        return _invalid_invitation(request)
    user = request.user
    if user.is_authenticated and request.method == "POST":
        try:
            membership = teams.invitation_accept(token=token, user=user)
        except teams.InvalidInvitation:
            return _invalid_invitation(request)
        except teams.WrongAccount:
            pass
        else:
            messages.success(
                request, f"Bienvenue dans l'organisation « {membership.organisation.name} »."
            )
            return redirect("organisations:home", organisation_id=membership.organisation_id)
    wrong_account = user.is_authenticated and user.email.casefold() != pending.email.casefold()
    has_account = (
        not user.is_authenticated
        and User.objects.filter(email__iexact=pending.email, is_active=True).exists()
    )
    return render(
        request,
        "organisations/invitation.html",
        {
            "title": f"Rejoindre « {pending.organisation.name} »",
            "invitation": pending,
            "wrong_account": wrong_account,
            "has_account": has_account,
            "login_url": reverse("accounts:login") + "?next=" + request.path,
            "signup_url": reverse("organisations:invitation_signup", kwargs={"token": token}),
        },
        status=403 if wrong_account and request.method == "POST" else 200,
    )


@sensitive_post_parameters("password1", "password2")
@never_cache
def invitation_signup(request: HttpRequest, token: str) -> HttpResponse:
    try:
        pending = teams.invitation_from_token(token)
    except teams.InvalidInvitation:
        return _invalid_invitation(request)
    if request.user.is_authenticated:
        return redirect("organisations:invitation", token=token)
    form = InvitationSignupForm(pending.email, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = teams.invitation_signup(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except teams.InvalidInvitation:
            return _invalid_invitation(request)
        except teams.AccountExists:
            return redirect("organisations:invitation", token=token)
        login(request, user, backend="accounts.backends.EmailBackend")
        messages.success(
            request,
            f"Votre compte est créé et vous avez rejoint « {pending.organisation.name} ».",
        )
        return redirect("organisations:home", organisation_id=pending.organisation_id)
    return render(
        request,
        "organisations/invitation_signup.html",
        {
            "title": "Créer votre compte",
            "form": form,
            "invitation": pending,
        },
    )
