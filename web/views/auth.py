from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.lockout import password_reset_allowed
from accounts.services import LoginLocked, two_factor
from core.errors import InvalidInput
from web.views.common import act, apply_form

CODE = forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 16})


class LoginForm(AuthenticationForm):
    username = forms.EmailField(label="Email", max_length=254,
                                widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))
    otp = forms.CharField(label="Authentication code", max_length=16, required=False, widget=CODE,
                          help_text="Only if you turned on two-factor authentication.")

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if self.user_cache is None:
            return cleaned
        try:
            two_factor.check_code(self.user_cache, cleaned.get("otp"))
        except InvalidInput as error:
            raise forms.ValidationError(error.detail["otp"]) from error
        return cleaned


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def admin_login(request):
    """The admin signs in through the same form (password, lockout, two-factor), not a second one.
    Signed-in staff who are not admins get a 403, not a loop between the two sign-in pages."""
    if request.user.is_authenticated:
        if request.user.is_staff:
            return redirect("admin:index")
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next", "/admin/"), login_url="web:login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's page; the new password is saved by the service, which also ends the user's tokens
    and other sessions (this one stays signed in)."""

    template_name = "web/password_change.html"
    success_url = "/password/done/"

    def form_valid(self, form):
        account_services.password_set(user=form.user, password=form.cleaned_data["new_password1"],
                                      request=self.request)
        return HttpResponseRedirect(self.get_success_url())


RESET_THROTTLED = "Too many reset requests. Wait a while, or ask your clinic manager."


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page: the same answer whether an account has the address or not (only an
    active account's own address gets the link, sent later through the outbox), throttled per
    client address and per e-mail."""

    template_name = "web/password_reset.html"
    success_url = reverse_lazy("web:password_reset_done")

    def form_valid(self, form):
        if not password_reset_allowed(self.request, form.cleaned_data["email"]):
            form.add_error(None, RESET_THROTTLED)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        account_services.password_reset_request(email=form.cleaned_data["email"])
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link's page (it expires after PASSWORD_RESET_TIMEOUT and works once). The new password is
    saved by the service, which ends the user's tokens and every session."""

    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form):
        account_services.password_set(user=form.user, password=form.cleaned_data["new_password1"],
                                      how="reset by e-mail")
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


class CodeForm(forms.Form):
    code = forms.CharField(label="Code from the app", max_length=16, widget=CODE)


class DisableForm(CodeForm):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               max_length=256, strip=False)


@login_required
def two_factor_page(request, form=None):
    """On: how to turn it off. Off: a button to start; started: the QR code and the code to confirm."""
    user = request.user
    enabled = two_factor.is_enabled(user)
    pending = None if enabled else two_factor.pending_device(user)
    context = {"enabled": enabled, "pending": pending,
               "form": form or (DisableForm() if enabled else CodeForm())}
    if pending:
        context |= {"qr": two_factor.qr_svg(pending), "secret": two_factor.secret(pending)}
    return render(request, "web/two_factor.html", context, status=400 if form else 200)


@require_POST
@login_required
def two_factor_setup(request):
    return act(request, reverse("web:two_factor"), lambda: two_factor.setup_start(request.user),
               success="Scan the code with your authenticator app, then enter the code it shows.")


def _two_factor_post(request, form_class, action, success):
    form = form_class(request.POST)
    done, _ = apply_form(form, action)
    if not done:
        return two_factor_page(request, form)
    request.session.cycle_key()  # a new session id whenever the sign-in rules change
    messages.success(request, success)
    return redirect("web:two_factor")


@require_POST
@login_required
def two_factor_confirm(request):
    return _two_factor_post(request, CodeForm,
                            lambda data: two_factor.setup_confirm(request.user, data["code"], request=request),
                            "Two-factor authentication is on: you will need a code from the app at every sign-in.")


@require_POST
@login_required
def two_factor_disable(request):
    return _two_factor_post(request, DisableForm, lambda data: two_factor.disable(request.user, **data),
                            "Two-factor authentication is off.")


def lockout_response(request, *args, **kwargs):
    """django-axes' answer to a locked-out login: the API's error shape for API clients, a page for
    people; nothing about the account either way."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LoginLocked.default_detail}, status=LoginLocked.status_code)
    return render(request, "web/locked.html", {"detail": LoginLocked.default_detail}, status=LoginLocked.status_code)
