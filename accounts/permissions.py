from rest_framework.permissions import BasePermission

from accounts.roles import can


class RolePermission(BasePermission):
    """Deny unless the view names the capability this action needs and the user's role has it.

    Runs before any object is looked up, so a role that may not do something gets the same 403
    whatever the id; objects outside the user's scope are 404 (the selectors never return them)."""

    def has_permission(self, request, view):
        capability = getattr(view, "action_permissions", {}).get(getattr(view, "action", None))
        return capability is not None and can(request.user, capability)
