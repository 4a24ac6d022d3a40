"""Users, their roles (scoped to a place or unit), departments and police beats."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.grids.models import Grid, MicroGrid, Town, Village, county_code_validator
from wangge.staff.scope import ScopedQuerySet


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    GRID_HELPER = "grid_helper", _("grid helper")
    GRID_LEADER = "grid_leader", _("grid leader")
    GRID_INSTRUCTOR = "grid_instructor", _("grid instructor")
    POLICE = "police", _("community police")
    DISPATCHER = "dispatcher", _("command-centre dispatcher")
    DEPARTMENT = "department", _("department staff")
    LEADER = "leader", _("leader")
    ADMIN = "admin", _("administrator")


# Which place or unit each role's assignment must name.
ROLE_SCOPE_FIELD = {
    Role.GRID_WORKER: _("grid"),
    Role.GRID_HELPER: _("micro-grid or grid"),
    Role.GRID_LEADER: _("village"),
    Role.GRID_INSTRUCTOR: _("grid"),
    Role.POLICE: _("police beat"),
    Role.DISPATCHER: _("town"),
    Role.DEPARTMENT: _("department"),
    Role.LEADER: _("town or county code"),
    Role.ADMIN: _("town"),
}


class UserQuerySet(ScopedQuerySet):
    pass


class StaffUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A member of staff. Residents need no account."""

    full_name = models.CharField(_("full name"), max_length=50, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    # Where the user works; every growing table carries a town (DESIGN §6).
    town = models.ForeignKey(
        Town, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("town")
    )

    objects = StaffUserManager()
    scope_lookups = {"town": "town_id"}

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [("view_whole_town", "Can see everything in their town")]

    def __str__(self):
        return self.full_name or self.username

    @property
    def roles(self) -> set[str]:
        return {a.role for a in self.role_assignments.all()}


class Department(models.Model):
    town = models.ForeignKey(
        Town, models.PROTECT, related_name="departments", verbose_name=_("town")
    )
    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(_("code"), max_length=20)
    phone = models.CharField(_("duty phone"), max_length=20, blank=True)
    handles = models.CharField(_("what it handles"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "department": "id"}

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["town", "code"]
        constraints = [
            models.UniqueConstraint(fields=["town", "code"], name="department_unique_code")
        ]

    def __str__(self):
        return self.name


class PoliceBeat(models.Model):
    """警格: the villages one community officer covers (一村一警)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="beats", verbose_name=_("town"))
    name = models.CharField(_("name"), max_length=50)
    villages = models.ManyToManyField(Village, related_name="beats", verbose_name=_("villages"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "town_id", "beat": "id"}

    class Meta:
        verbose_name = _("police beat")
        verbose_name_plural = _("police beats")
        ordering = ["town", "name"]

    def __str__(self):
        return self.name


class RoleAssignment(models.Model):
    """One role of one user, scoped to the place or unit the role works in."""

    user = models.ForeignKey(
        User, models.CASCADE, related_name="role_assignments", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    town = models.ForeignKey(
        Town, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("town")
    )
    county_code = models.CharField(
        _("county code"), max_length=6, blank=True, validators=[county_code_validator]
    )
    village = models.ForeignKey(
        Village, models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("village")
    )
    grid = models.ForeignKey(
        Grid,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("grid"),
    )
    micro_grid = models.ForeignKey(
        MicroGrid,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("micro-grid"),
    )
    department = models.ForeignKey(
        Department,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("department"),
    )
    beat = models.ForeignKey(
        PoliceBeat,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("police beat"),
    )
    title = models.CharField(pgettext_lazy("job", "title"), max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = {"town": "user__town_id"}

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        indexes = [models.Index(fields=["role", "grid"])]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()}"

    def clean(self):
        needs = {
            Role.GRID_WORKER: bool(self.grid_id),
            Role.GRID_HELPER: bool(self.grid_id or self.micro_grid_id),
            Role.GRID_LEADER: bool(self.village_id),
            Role.GRID_INSTRUCTOR: bool(self.grid_id),
            Role.POLICE: bool(self.beat_id),
            Role.DISPATCHER: bool(self.town_id),
            Role.DEPARTMENT: bool(self.department_id),
            Role.LEADER: bool(self.town_id or self.county_code),
            Role.ADMIN: bool(self.town_id),
        }
        if not needs.get(self.role, False):
            raise ValidationError(
                _("The role %(role)s must name its %(field)s.")
                % {"role": self.get_role_display(), "field": ROLE_SCOPE_FIELD[self.role]}
            )
