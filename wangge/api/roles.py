"""Role permissions for the API app: town administrators see and revoke tokens in the admin."""

from wangge.staff.models import Role

ROLE_PERMISSIONS = {
    Role.ADMIN: ["api.view_apitoken", "api.change_apitoken"],
}
