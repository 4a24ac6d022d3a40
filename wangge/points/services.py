"""Every change to points, one function each: record an award or deduction, decide a
large award, redeem at the supermarket counter, restock, rate a year, nominate and
select 最美家庭.

Balances and stock change only through conditional UPDATEs (``… WHERE balance >=
cost``) inside the action's transaction, so concurrent redemptions can never
take a balance or a stock below zero; the database checks say the same again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.points.errors import Conflict, Insufficient, InvalidInput, NotAllowed, NotFound
from wangge.points.models import (
    DEFAULT_APPROVAL_THRESHOLD,
    DEFAULT_EVIDENCE_THRESHOLD,
    AwardProposal,
    EntryKind,
    FamilyNomination,
    Good,
    NominationStatus,
    PointAccount,
    PointEntry,
    PointRule,
    PointScheme,
    ProposalStatus,
    Redemption,
    RuleKind,
    StarRating,
)
from wangge.residents.models import Household

MAX_QUANTITY = 99
MAX_RESTOCK = 10000

# 星级文明户: (stars, at least these points awarded in the year, at most these deductions).
# The first line a household meets is its rating; a veto deduction means one star.
STAR_RULES = [(5, 50, 0), (4, 30, 1), (3, 15, 2), (2, 5, None), (1, 0, None)]


@dataclass(frozen=True)
class Thresholds:
    evidence: int
    approval: int


def thresholds(village) -> Thresholds:
    """The village's thresholds for evidence and second approval (defaults when unset)."""
    scheme = PointScheme.objects.filter(village=village).first()
    if scheme is None:
        return Thresholds(DEFAULT_EVIDENCE_THRESHOLD, DEFAULT_APPROVAL_THRESHOLD)
    return Thresholds(scheme.evidence_threshold, scheme.approval_threshold)


def _require(actor, perm: str) -> None:
    if not actor.has_perm(perm):
        raise NotAllowed()


def _visible_household(actor, household) -> Household:
    pk = household.pk if isinstance(household, Household) else household
    found = Household.objects.visible_to(actor).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such household."))
    return found


def _today(now: datetime | None) -> date:
    return timezone.localdate(now or timezone.now())


def _store_evidence(instance, photo) -> None:
    """Check a photo like case photos are checked and attach it to the row (unsaved)."""
    from wangge.cases.attachments import check_upload
    from wangge.cases.errors import CaseError

    try:
        _content_type, extension = check_upload(photo)
    except CaseError as error:
        raise InvalidInput(error.message, field="evidence") from None
    photo.seek(0)
    instance.evidence_name = f"{uuid.uuid4().hex}.{extension}"
    instance.evidence.save(instance.evidence_name, ContentFile(photo.read()), save=False)


def _account(household: Household) -> PointAccount:
    account, _created = PointAccount.objects.get_or_create(
        household=household,
        defaults={"town_id": household.town_id, "village_id": household.village_id},
    )
    return account


def _post(household, *, kind, points, nominal, actor, occurred_on, now, **fields) -> PointEntry:
    """Write one ledger entry and move the balance with it (inside the caller's transaction)."""
    account = _account(household)
    if points < 0:
        changed = PointAccount.objects.filter(pk=account.pk, balance__gte=-points).update(
            balance=F("balance") + points, updated_at=now
        )
        if not changed:
            balance = PointAccount.objects.get(pk=account.pk).balance
            raise Insufficient(
                _("Not enough points: the household has %(balance)s, this needs %(needed)s.")
                % {"balance": balance, "needed": -points}
            )
    elif points > 0:
        PointAccount.objects.filter(pk=account.pk).update(
            balance=F("balance") + points, updated_at=now
        )
    entry = PointEntry(
        town_id=household.town_id,
        village_id=household.village_id,
        household=household,
        kind=kind,
        points=points,
        nominal_points=nominal,
        proposed_by=actor,
        occurred_on=occurred_on,
        created_at=now,
        **fields,
    )
    entry.save()
    return entry


def record(
    actor,
    household,
    rule: PointRule,
    *,
    occurred_on: date | None = None,
    note: str = "",
    evidence=None,
    now: datetime | None = None,
) -> PointEntry | AwardProposal:
    """Award or deduct points under a village rule for a household.

    A rule worth more than the village's evidence threshold needs a photo; an
    award worth more than its approval threshold becomes a proposal that a second
    person must approve (see `decide`). A deduction larger than the balance takes
    the whole balance (a balance never goes below zero); the entry keeps both.
    Raises NotAllowed, NotFound, InvalidInput.
    """
    _require(actor, "points.add_pointentry")
    household = _visible_household(actor, household)
    now = now or timezone.now()
    today = _today(now)
    occurred_on = occurred_on or today
    if rule.village_id != household.village_id or not rule.active:
        raise InvalidInput(
            _("This rule is not one of the household's village rules."), field="rule"
        )
    if occurred_on > today:
        raise InvalidInput(_("The date cannot be in the future."), field="occurred_on")
    if (today - occurred_on).days > 366:
        raise InvalidInput(_("The date is more than a year ago."), field="occurred_on")
    note = (note or "").strip()
    if len(note) > 200:
        raise InvalidInput(_("The note is too long (at most 200 characters)."), field="note")
    limits = thresholds(household.village)
    if rule.points > limits.evidence and not evidence:
        raise InvalidInput(
            _("More than %(n)s points need a photo as evidence.") % {"n": limits.evidence},
            field="evidence",
        )
    with transaction.atomic():
        if rule.kind == RuleKind.AWARD and rule.points > limits.approval:
            proposal = AwardProposal(
                town_id=household.town_id,
                village_id=household.village_id,
                household=household,
                rule=rule,
                points=rule.points,
                note=note,
                occurred_on=occurred_on,
                proposed_by=actor,
                proposed_at=now,
            )
            if evidence:
                _store_evidence(proposal, evidence)
            proposal.save()
            return proposal
        entry_fields = {"rule": rule, "note": note}
        if rule.kind == RuleKind.AWARD:
            points = rule.points
        else:
            balance = (
                PointAccount.objects.select_for_update()
                .filter(household=household)
                .values_list("balance", flat=True)
                .first()
            ) or 0
            points = -min(rule.points, balance)
        probe = PointEntry(town_id=household.town_id, village_id=household.village_id)
        if evidence:
            _store_evidence(probe, evidence)
            entry_fields.update(evidence=probe.evidence, evidence_name=probe.evidence_name)
        return _post(
            household,
            kind=EntryKind.AWARD if rule.kind == RuleKind.AWARD else EntryKind.DEDUCTION,
            points=points,
            nominal=rule.signed_points,
            actor=actor,
            occurred_on=occurred_on,
            now=now,
            **entry_fields,
        )


def decide(
    actor, proposal: AwardProposal, *, approve: bool, note: str = "", now=None
) -> AwardProposal:
    """Approve (the award reaches the ledger) or reject a large award.

    The approver must be another person than the proposer. Two people deciding at
    once: one wins, the other gets Conflict. Raises NotAllowed, NotFound, Conflict.
    """
    _require(actor, "points.approve_awardproposal")
    if not AwardProposal.objects.visible_to(actor).filter(pk=proposal.pk).exists():
        raise NotFound(_("No such proposal."))
    if proposal.proposed_by_id == actor.pk:
        raise NotAllowed(_("A large award must be approved by someone other than its proposer."))
    note = (note or "").strip()[:200]
    if not approve and not note:
        raise InvalidInput(_("Give a reason for the rejection."), field="note")
    now = now or timezone.now()
    with transaction.atomic():
        status = ProposalStatus.APPROVED if approve else ProposalStatus.REJECTED
        won = AwardProposal.objects.filter(pk=proposal.pk, status=ProposalStatus.PENDING).update(
            status=status, decided_by=actor, decided_at=now, decision_note=note
        )
        if not won:
            raise Conflict()
        proposal.refresh_from_db()
        if approve:
            proposal.entry = _post(
                proposal.household,
                kind=EntryKind.AWARD,
                points=proposal.points,
                nominal=proposal.points,
                actor=proposal.proposed_by,
                occurred_on=proposal.occurred_on,
                now=now,
                rule=proposal.rule,
                note=proposal.note,
                approved_by=actor,
                evidence=proposal.evidence,
                evidence_name=proposal.evidence_name,
            )
            proposal.save(update_fields=["entry"])
    return proposal


def redeem(actor, household, good: Good, quantity: int, *, now=None) -> Redemption:
    """Hand out goods at the counter for a household's points, in one transaction.

    Stock and balance are each taken with a conditional UPDATE, so neither goes
    below zero however many counters redeem at once. Raises NotAllowed, NotFound,
    InvalidInput, Insufficient (nothing changed then).
    """
    _require(actor, "points.add_redemption")
    household = _visible_household(actor, household)
    if not Good.objects.visible_to(actor).filter(pk=good.pk).exists():
        raise NotFound(_("No such good."))
    if good.village_id != household.village_id:
        raise InvalidInput(
            _("The household can only redeem at its own village's supermarket."), field="good"
        )
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidInput(
            _("The quantity must be a whole number from 1 to %(max)s.") % {"max": MAX_QUANTITY},
            field="quantity",
        )
    now = now or timezone.now()
    with transaction.atomic():
        taken = Good.objects.filter(pk=good.pk, active=True, stock__gte=quantity).update(
            stock=F("stock") - quantity
        )
        if not taken:
            current = Good.objects.get(pk=good.pk)
            if not current.active:
                raise InvalidInput(_("This good is no longer on sale."), field="good")
            raise Insufficient(
                _("Not enough in stock: %(stock)s %(unit)s left of %(name)s.")
                % {"stock": current.stock, "unit": current.unit, "name": current.name}
            )
        # The row is ours now (the UPDATE locked it): charge today's price.
        good = Good.objects.get(pk=good.pk)
        cost = good.price * quantity
        entry = _post(
            household,
            kind=EntryKind.REDEMPTION,
            points=-cost,
            nominal=-cost,
            actor=actor,
            occurred_on=_today(now),
            now=now,
            note=f"{good.name}×{quantity}",
        )
        return Redemption.objects.create(
            town_id=household.town_id,
            village_id=household.village_id,
            household=household,
            good=good,
            quantity=quantity,
            points=cost,
            entry=entry,
            served_by=actor,
            at=now,
        )


def restock(actor, good: Good, quantity: int) -> Good:
    """Add goods delivered to the supermarket. Raises NotAllowed, NotFound, InvalidInput."""
    _require(actor, "points.change_good")
    if not Good.objects.visible_to(actor).filter(pk=good.pk).exists():
        raise NotFound(_("No such good."))
    if not isinstance(quantity, int) or not 1 <= quantity <= MAX_RESTOCK:
        raise InvalidInput(
            _("The quantity must be a whole number from 1 to %(max)s.") % {"max": MAX_RESTOCK},
            field="quantity",
        )
    Good.objects.filter(pk=good.pk).update(stock=F("stock") + quantity)
    good.refresh_from_db()
    return good


def stars_for(awarded: int, deductions: int, vetoed: bool) -> int:
    """The stars a year's points and conditions earn (STAR_RULES)."""
    if vetoed:
        return 1
    for stars, least, most_deductions in STAR_RULES:
        if awarded >= least and (most_deductions is None or deductions <= most_deductions):
            return stars
    return 1


def rate_year(actor, village, year: int, *, now=None) -> int:
    """Rate every household of the village for the year (again, if rated before).

    Raises NotAllowed, NotFound, InvalidInput. Returns how many were rated.
    """
    _require(actor, "points.add_starrating")
    from wangge.grids.models import Village

    if not Village.objects.visible_to(actor).filter(pk=village.pk).exists():
        raise NotFound(_("No such village."))
    now = now or timezone.now()
    if not 2000 <= year <= _today(now).year:
        raise InvalidInput(_("The year must not be in the future."), field="year")
    in_year = Q(point_entries__occurred_on__year=year)
    rows = (
        Household.objects.filter(village=village)
        .annotate(
            awarded=Sum(
                "point_entries__points", filter=in_year & Q(point_entries__kind=EntryKind.AWARD)
            ),
            deductions=Count(
                "point_entries", filter=in_year & Q(point_entries__kind=EntryKind.DEDUCTION)
            ),
            vetoes=Count(
                "point_entries",
                filter=in_year
                & Q(point_entries__kind=EntryKind.DEDUCTION, point_entries__rule__veto=True),
            ),
        )
        .values_list("pk", "town_id", "awarded", "deductions", "vetoes")
    )
    ratings = [
        StarRating(
            town_id=town_id,
            village_id=village.pk,
            household_id=pk,
            year=year,
            stars=stars_for(awarded or 0, deductions, vetoes > 0),
            awarded=awarded or 0,
            deductions=deductions,
            vetoed=vetoes > 0,
            rated_by=actor,
            rated_at=now,
        )
        for pk, town_id, awarded, deductions, vetoes in rows
    ]
    with transaction.atomic():
        StarRating.objects.filter(village=village, year=year).delete()
        StarRating.objects.bulk_create(ratings, batch_size=500)
    return len(ratings)


def nominate(actor, household, year: int, reason: str, *, now=None) -> FamilyNomination:
    """Nominate a household as 最美家庭 for a year. Raises NotAllowed, NotFound, InvalidInput."""
    _require(actor, "points.add_familynomination")
    household = _visible_household(actor, household)
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Describe the family's deeds."), field="reason")
    if len(reason) > 300:
        raise InvalidInput(_("The deeds are too long (at most 300 characters)."), field="reason")
    if not 2000 <= year <= _today(now).year:
        raise InvalidInput(_("The year must not be in the future."), field="year")
    if FamilyNomination.objects.filter(household=household, year=year).exists():
        raise InvalidInput(_("This household is already nominated for that year."))
    return FamilyNomination.objects.create(
        town_id=household.town_id,
        village_id=household.village_id,
        household=household,
        year=year,
        reason=reason,
        nominated_by=actor,
        nominated_at=now,
    )


def select_family(actor, nomination: FamilyNomination, *, selected: bool, now=None):
    """Select a nominated household as 最美家庭 (or not). Raises NotAllowed, NotFound, Conflict."""
    _require(actor, "points.select_familynomination")
    if not FamilyNomination.objects.visible_to(actor).filter(pk=nomination.pk).exists():
        raise NotFound(_("No such nomination."))
    now = now or timezone.now()
    status = NominationStatus.SELECTED if selected else NominationStatus.NOT_SELECTED
    won = FamilyNomination.objects.filter(
        pk=nomination.pk, status=NominationStatus.NOMINATED
    ).update(status=status, decided_by=actor, decided_at=now)
    if not won:
        raise Conflict()
    nomination.refresh_from_db()
    return nomination


def balance_of(household) -> int:
    """The household's spendable points (0 before its first entry)."""
    return (
        PointAccount.objects.filter(household=household).values_list("balance", flat=True).first()
        or 0
    )
