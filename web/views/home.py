from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from web.access import HOME_BY_ROLE


@login_required
def home(request):
    """Each role's own workspace; admins go to the dashboard of every clinic."""
    if request.user.is_superuser:
        return redirect("web:dashboard")
    target = HOME_BY_ROLE.get(request.user.role)
    if target is None:
        raise PermissionDenied("This account is for the patient app's backend, not for people.")
    return redirect(target)
