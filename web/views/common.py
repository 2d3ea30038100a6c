from typing import Any

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import DomainError


def act(request, redirect_to: str, action, *, success: str):
    """Run a service call for a form post, then redirect (post/redirect/get). A refusal by the
    service (400/409/412 in the API) becomes an error message on the page."""
    try:
        action()
    except DomainError as error:
        messages.error(request, _describe(error.detail))
    else:
        messages.success(request, success)
    return redirect(redirect_to)


def submit(request, form_class, redirect_to: str, action, *, success: str):
    """The usual form post: validate the form (field errors become a message), then `act` with
    `action(cleaned_data)`."""
    form = form_class(request.POST)
    if not form.is_valid():
        return invalid(request, redirect_to, form)
    return act(request, redirect_to, lambda: action(form.cleaned_data), success=success)


def invalid(request, redirect_to: str, form_or_detail):
    """Say what was wrong (a form's errors, or a service's refusal) and go back."""
    detail = form_or_detail.errors if hasattr(form_or_detail, "errors") else form_or_detail
    messages.error(request, _describe(detail))
    return redirect(redirect_to)


def apply_form(form, action) -> tuple[bool, Any]:
    """A form shown again on refusal: if the form is valid, `action(cleaned_data)` runs the service.
    (True, what it returned), or (False, None) with the refusal (the form's own, or the service's
    DomainError) on the form's fields, to render it again with what was typed."""
    if not form.is_valid():
        return False, None
    try:
        return True, action(form.cleaned_data)
    except DomainError as error:
        add_errors(form, error.detail)
        return False, None


def add_errors(form, detail) -> None:
    """A service's refusal ({field: [messages]} or a message) shown on the form's fields."""
    if not isinstance(detail, dict):
        detail = {None: [detail]}
    for field, errors in detail.items():
        form.add_error(field if field in form.fields else None, errors)


def _describe(detail) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{'' if field in ('__all__', 'non_field_errors', 'detail') else field + ': '}"
                        f"{' '.join(str(m) for m in (msgs if isinstance(msgs, list | tuple) else [msgs]))}"
                        for field, msgs in detail.items())
    return str(detail)
