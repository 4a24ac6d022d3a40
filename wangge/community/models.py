"""Reserve cadres (后备干部) with their instructors' assessments, and rectification
projects (整顿整治) with counted targets and dated progress."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wangge.grids.models import Town, Village
from wangge.residents.models import Resident
from wangge.staff.scope import ScopedQuerySet, via

VILLAGE_SCOPE = {"town": "town_id", "village": "village_id"}


class Background(models.TextChoices):
    ENTREPRENEUR = "entrepreneur", _("local entrepreneur (致富能手)")
    VETERAN = "veteran", _("ex-serviceman")
    MIGRANT_WORKER = "migrant_worker", _("outstanding migrant worker")
    GRADUATE = "graduate", _("returned graduate")
    VILLAGE_OFFICIAL = "village_official", _("village official")
    OTHER = "other", _("other")


class Education(models.TextChoices):
    JUNIOR = "junior", _("junior secondary")
    SENIOR = "senior", _("senior secondary")
    VOCATIONAL = "vocational", _("vocational college (大专)")
    BACHELOR = "bachelor", _("bachelor")
    MASTER = "master", _("postgraduate")


class Stage(models.TextChoices):
    """The pipeline: from the register to a post (or off the list)."""

    REGISTERED = "registered", _("registered")
    TRAINING = "training", _("in training")
    ON_TRIAL = "on_trial", _("on trial post")
    READY = "ready", _("ready for office")
    APPOINTED = "appointed", _("appointed")
    LEFT = "left", _("left the register")


PIPELINE = [Stage.REGISTERED, Stage.TRAINING, Stage.ON_TRIAL, Stage.READY, Stage.APPOINTED]


class ReserveCadre(models.Model):
    """A person on a village's register of reserve cadres."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="reserve_cadres", verbose_name=_("village")
    )
    resident = models.ForeignKey(
        Resident,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident record"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    gender = models.CharField(
        _("gender"),
        max_length=6,
        choices=[("male", _("male")), ("female", _("female"))],
    )
    birth_year = models.PositiveSmallIntegerField(_("year of birth"))
    education = models.CharField(_("education"), max_length=12, choices=Education.choices)
    background = models.CharField(_("background"), max_length=20, choices=Background.choices)
    party_member = models.BooleanField(_("party member"), default=False)
    current_post = models.CharField(_("present post"), max_length=60, blank=True)
    target_post = models.CharField(_("prepared for"), max_length=60, blank=True)
    stage = models.CharField(
        _("stage"), max_length=12, choices=Stage.choices, default=Stage.REGISTERED, db_index=True
    )
    registered_on = models.DateField(_("registered on"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = VILLAGE_SCOPE

    class Meta:
        verbose_name = _("reserve cadre")
        verbose_name_plural = _("reserve cadres")
        ordering = ["village", "name"]
        permissions = [("assess_reservecadre", "Can assess reserve cadres")]

    def __str__(self):
        return self.name


class Criterion(models.TextChoices):
    """The five parts of an assessment, 20 points each (100 in all)."""

    POLITICS = "politics", _("political quality")
    ABILITY = "ability", _("ability to do the job")
    RESULTS = "results", _("results")
    CONDUCT = "conduct", _("conduct and discipline")
    RECOGNITION = "recognition", _("recognition by the villagers")


CRITERION_MAX = 20


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", pgettext_lazy("assessment grade", "good")
    PASS = "pass", _("pass")
    FAIL = "fail", _("fail")


class CadreAssessment(models.Model):
    """An instructor's structured assessment of a reserve cadre."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    cadre = models.ForeignKey(
        ReserveCadre, models.CASCADE, related_name="assessments", verbose_name=_("reserve cadre")
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("assessor")
    )
    assessed_on = models.DateField(_("assessed on"))
    politics = models.PositiveSmallIntegerField(Criterion.POLITICS.label)
    ability = models.PositiveSmallIntegerField(Criterion.ABILITY.label)
    results = models.PositiveSmallIntegerField(Criterion.RESULTS.label)
    conduct = models.PositiveSmallIntegerField(Criterion.CONDUCT.label)
    recognition = models.PositiveSmallIntegerField(Criterion.RECOGNITION.label)
    total = models.PositiveSmallIntegerField(_("total"))
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    comment = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("recorded"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = via("cadre", ReserveCadre)

    class Meta:
        verbose_name = _("cadre assessment")
        verbose_name_plural = _("cadre assessments")
        ordering = ["-assessed_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    politics__lte=CRITERION_MAX,
                    ability__lte=CRITERION_MAX,
                    results__lte=CRITERION_MAX,
                    conduct__lte=CRITERION_MAX,
                    recognition__lte=CRITERION_MAX,
                ),
                name="assessment_scores_in_range",
            )
        ]

    def __str__(self):
        return f"{self.cadre} {self.assessed_on} {self.total}"


class ProjectStatus(models.TextChoices):
    ACTIVE = "active", _("under way")
    COMPLETED = "completed", _("completed")


class RectificationProject(models.Model):
    """A village's rectification project (e.g. of a weak party organisation, 软弱涣散)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    village = models.ForeignKey(
        Village, models.PROTECT, related_name="rectification_projects", verbose_name=_("village")
    )
    title = models.CharField(pgettext_lazy("document", "title"), max_length=100)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    started_on = models.DateField(_("started on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(
        _("status"), max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("created by")
    )

    objects = ScopedQuerySet.as_manager()
    scope_lookups = VILLAGE_SCOPE

    class Meta:
        verbose_name = _("rectification project")
        verbose_name_plural = _("rectification projects")
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_on__gte=models.F("started_on")), name="project_due_after_start"
            )
        ]

    def __str__(self):
        return self.title


class RectificationTarget(models.Model):
    """A counted target of a project: 42 间 removed, 300 米 cleared …"""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    project = models.ForeignKey(
        RectificationProject, models.CASCADE, related_name="targets", verbose_name=_("project")
    )
    name = models.CharField(_("what"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10)
    target = models.PositiveIntegerField(_("target"))
    done = models.PositiveIntegerField(_("done so far"), default=0)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = ScopedQuerySet.as_manager()
    scope_lookups = via("project", RectificationProject)

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["project", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(target__gt=0), name="target_positive"),
        ]

    def __str__(self):
        return f"{self.name} {self.target}{self.unit}"

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.done / self.target)) if self.target else 0


class ProgressUpdate(models.Model):
    """A dated report of how much of a target is done in all (cumulative)."""

    town = models.ForeignKey(Town, models.PROTECT, related_name="+", verbose_name=_("town"))
    target = models.ForeignKey(
        RectificationTarget, models.CASCADE, related_name="updates", verbose_name=_("target")
    )
    on = models.DateField(_("date"))
    cumulative = models.PositiveIntegerField(_("done in all"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    created_at = models.DateTimeField(_("recorded"))

    objects = ScopedQuerySet.as_manager()
    scope_lookups = via("target__project", RectificationProject)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["target", "on", "id"]

    def __str__(self):
        return f"{self.target.name} {self.on}: {self.cumulative}"
