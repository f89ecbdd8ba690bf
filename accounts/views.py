from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import (
    AccountDeleteForm,
    ConfirmationForm,
    EmailForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SetPasswordForm,
    SignupForm,
)
from accounts.teams import organisation_successor_names
from accounts.tokens import confirmation_tokens, password_reset_tokens, user_from_uid

NEUTRAL_SIGNUP = (
    "Si cette adresse peut être utilisée, vous allez recevoir un e-mail dans quelques minutes. "
    "Cliquez sur le lien qu'il contient pour activer votre compte. Pensez à vérifier vos "
    "courriers indésirables."
)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def lockout(request: HttpRequest, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """Shown by django-axes when an (account, IP) pair is locked after repeated failures."""
    minutes = int(settings.AXES_COOLOFF_TIME * 60)
    return render(
        request,
        "accounts/lockout.html",
        {"title": "Connexion temporairement bloquée", "minutes": minutes},
        status=429,
    )


@sensitive_post_parameters("password1", "password2")
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_register(
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            password=form.cleaned_data["password1"],
        )
        return render(
            request,
            "accounts/email_sent.html",
            {"title": "Vérifiez votre messagerie", "message": NEUTRAL_SIGNUP},
        )
    return render(request, "accounts/signup.html", {"title": "Créer un compte", "form": form})


def _invalid_link(
    request: HttpRequest, *, resend: bool = False, reset: bool = False
) -> HttpResponse:
    return render(
        request,
        "accounts/link_invalid.html",
        {"title": "Lien invalide ou expiré", "resend": resend, "reset": reset},
        status=400,
    )


@sensitive_post_parameters("password")
@never_cache
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    # Confirmation needs a click (POST): mail scanners that open links must not consume them.
    user = user_from_uid(uidb64)
    if user is None or user.is_active or not confirmation_tokens.check_token(user, token):
        return _invalid_link(request, resend=True)
    form = ConfirmationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.user_confirm(
                user_id=user.pk, token=token, password=form.cleaned_data["password"]
            )
        except services.InvalidLink:
            return _invalid_link(request, resend=True)
        if confirmed:
            messages.success(
                request,
                "Votre adresse e-mail est confirmée. Vous pouvez maintenant vous connecter.",
            )
            return redirect("accounts:login")
        form.add_error("password", "Ce n'est pas le mot de passe choisi à l'inscription.")
    return render(
        request, "accounts/signup_confirm.html", {"title": "Activer votre compte", "form": form}
    )


@never_cache
def confirmation_resend(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.confirmation_resend(email=form.cleaned_data["email"])
        return render(
            request,
            "accounts/email_sent.html",
            {
                "title": "Vérifiez votre messagerie",
                "message": (
                    "Si un compte en attente de confirmation existe pour cette adresse, un nouvel "
                    "e-mail de confirmation vient d'être envoyé. Les liens précédents ne sont "
                    "plus valables."
                ),
            },
        )
    return render(
        request,
        "accounts/confirmation_resend.html",
        {"title": "Recevoir un nouvel e-mail de confirmation", "form": form},
    )


@sensitive_post_parameters("password")
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.user.is_authenticated:
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    form = LoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.user)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/login.html",
        {
            "title": "Connexion",
            "form": form,
            "next": next_url or "",
            "unconfirmed": form.unconfirmed,
        },
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "Vous êtes déconnecté.")
    return redirect("accounts:login")


@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_reset_request(email=form.cleaned_data["email"])
        return render(
            request,
            "accounts/email_sent.html",
            {
                "title": "Vérifiez votre messagerie",
                "message": (
                    "Si un compte existe pour cette adresse, vous allez recevoir un e-mail avec un "
                    "lien pour choisir un nouveau mot de passe. Ce lien est valable "
                    f"{settings.PASSWORD_RESET_TIMEOUT // 60} minutes et ne peut servir qu'une fois."
                ),
            },
        )
    return render(
        request, "accounts/password_reset.html", {"title": "Mot de passe oublié", "form": form}
    )


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
def password_reset_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = user_from_uid(uidb64)
    if user is None or not user.is_active or not password_reset_tokens.check_token(user, token):
        return _invalid_link(request, reset=True)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.password_reset_complete(
                user_id=user.pk, token=token, password=form.cleaned_data["new_password1"]
            )
        except services.InvalidLink:
            return _invalid_link(request, reset=True)
        if request.user.is_authenticated:
            logout(request)
        messages.success(
            request,
            "Votre mot de passe a été modifié. Connectez-vous avec le nouveau mot de passe.",
        )
        return redirect("accounts:login")
    return render(
        request,
        "accounts/password_reset_confirm.html",
        {"title": "Choisir un nouveau mot de passe", "form": form},
    )


@login_required
@never_cache
def account_settings(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        services.profile_update(
            user=request.user,
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
        messages.success(request, "Vos informations ont été enregistrées.")
        return redirect("accounts:settings")
    if request.method == "POST":
        request.user.refresh_from_db(fields=["first_name", "last_name"])
    return render(request, "accounts/settings.html", {"title": "Mon compte", "form": form})


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
@never_cache
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_set(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            keep_session_key=request.session.session_key,
            template="password_changed",
        )
        old_key = request.session.session_key
        update_session_auth_hash(request, request.user)
        services.session_rotated(old_key=old_key, new_key=request.session.session_key)
        messages.success(
            request,
            "Votre mot de passe a été modifié. Vos autres sessions ouvertes ont été fermées.",
        )
        return redirect("accounts:settings")
    return render(
        request, "accounts/password_change.html", {"title": "Changer de mot de passe", "form": form}
    )


@sensitive_post_parameters("password")
@login_required
@never_cache
def account_delete(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        services.account_delete(user=user)
        messages.success(request, "Votre compte a été supprimé.")
        return redirect("pages:home")
    return render(
        request,
        "accounts/account_delete.html",
        {
            "title": "Supprimer mon compte",
            "form": form,
            "handovers": organisation_successor_names(request.user),
        },
    )
