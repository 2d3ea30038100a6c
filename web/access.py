"""Who may open which page: the same capabilities as the API (accounts.roles), the same scoping
selectors, the same answers (another clinic's row is a 404; a role that may not is a 403)."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.roles import Cap, Role, can

HOME_BY_ROLE = {Role.PT: "web:patients", Role.COACH: "web:coach", Role.MANAGER: "web:dashboard"}


def requires(capability: Cap):
    """Log in first; then 403 unless the user's role has `capability`. Times on the page, and
    times typed into its forms (Django's form fields read them in the current time zone), are
    the clinic's."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not can(request.user, capability):
                raise PermissionDenied
            with timezone.override(request.user.clinic.timezone if request.user.clinic_id else None):
                return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator


def scoped(queryset, **lookup):
    """One row through the user's scope: another clinic's id is a 404, like a missing one."""
    return get_object_or_404(queryset, **lookup)
