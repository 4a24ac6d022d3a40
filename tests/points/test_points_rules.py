"""Awards and deductions under village rules: evidence, second approval, the ledger."""

import pytest
from django.core.exceptions import ValidationError

from wangge.points import services
from wangge.points.errors import Conflict, Insufficient, InvalidInput, NotAllowed, NotFound
from wangge.points.models import (
    AwardProposal,
    EntryKind,
    PointAccount,
    PointEntry,
    ProposalStatus,
    StarRating,
)


def test_small_award_goes_straight_to_the_ledger(village_rules, photo, now):
    t = village_rules
    entry = services.record(t.grid_worker, t.h_a1w, t.rule_small, now=now)
    assert isinstance(entry, PointEntry)
    assert entry.points == 5 and entry.kind == EntryKind.AWARD
    assert services.balance_of(t.h_a1w) == 5


def test_award_above_evidence_threshold_needs_a_photo(village_rules, photo, now):
    t = village_rules
    with pytest.raises(InvalidInput) as error:
        services.record(t.grid_worker, t.h_a1w, t.rule_medium, now=now)
    assert error.value.field == "evidence"
    assert not PointEntry.objects.exists()
    entry = services.record(t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), now=now)
    assert entry.points == 20 and entry.evidence.name.startswith("points/")


def test_evidence_must_be_a_real_photo(village_rules, photo, now):
    from django.core.files.uploadedfile import SimpleUploadedFile

    t = village_rules
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    with pytest.raises(InvalidInput):
        services.record(t.grid_worker, t.h_a1w, t.rule_medium, evidence=fake, now=now)
    assert not PointEntry.objects.exists()


def test_large_award_waits_for_a_second_person(village_rules, photo, now):
    t = village_rules
    proposal = services.record(t.grid_worker, t.h_a1w, t.rule_large, evidence=photo(), now=now)
    assert isinstance(proposal, AwardProposal)
    assert proposal.status == ProposalStatus.PENDING
    assert services.balance_of(t.h_a1w) == 0
    services.decide(t.grid_leader, proposal, approve=True, now=now)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED
    assert proposal.entry.points == 50 and proposal.entry.approved_by == t.grid_leader
    assert services.balance_of(t.h_a1w) == 50


def test_proposer_cannot_approve_their_own_large_award(village_rules, photo, now):
    t = village_rules
    proposal = services.record(t.grid_leader, t.h_a1w, t.rule_large, evidence=photo(), now=now)
    with pytest.raises(NotAllowed):
        services.decide(t.grid_leader, proposal, approve=True, now=now)
    services.decide(t.deputy, proposal, approve=True, now=now)
    assert services.balance_of(t.h_a1w) == 50


def test_grid_worker_cannot_approve(village_rules, photo, now):
    t = village_rules
    proposal = services.record(t.grid_leader, t.h_a1w, t.rule_large, evidence=photo(), now=now)
    with pytest.raises(NotAllowed):
        services.decide(t.grid_worker, proposal, approve=True, now=now)


def test_other_village_leader_cannot_see_the_proposal(village_rules, photo, now):
    from wangge.staff.models import Role, User
    from wangge.staff.services import assign_role

    t = village_rules
    other = User.objects.create_user("leader_vb", password="x", town=t.town)
    assign_role(other, Role.GRID_LEADER, village=t.vb)
    proposal = services.record(t.grid_worker, t.h_a1w, t.rule_large, evidence=photo(), now=now)
    with pytest.raises(NotFound):
        services.decide(other, proposal, approve=True, now=now)


def test_rejection_needs_a_reason_and_writes_nothing(village_rules, photo, now):
    t = village_rules
    proposal = services.record(t.grid_worker, t.h_a1w, t.rule_large, evidence=photo(), now=now)
    with pytest.raises(InvalidInput):
        services.decide(t.grid_leader, proposal, approve=False, now=now)
    services.decide(t.grid_leader, proposal, approve=False, note="事迹不实", now=now)
    assert not PointEntry.objects.exists()
    with pytest.raises(Conflict):
        services.decide(t.deputy, proposal, approve=True, now=now)


def test_deduction_never_takes_the_balance_below_zero(village_rules, photo, now):
    t = village_rules
    services.record(t.grid_worker, t.h_a1w, t.rule_small, now=now)  # +5
    entry = services.record(t.grid_worker, t.h_a1w, t.rule_veto, evidence=photo(), now=now)
    assert entry.points == -5 and entry.nominal_points == -20
    assert services.balance_of(t.h_a1w) == 0
    assert PointAccount.objects.get(household=t.h_a1w).balance == 0


def test_rule_of_another_village_is_refused(village_rules, photo, now):
    t = village_rules
    with pytest.raises(InvalidInput):
        services.record(t.grid_worker, t.h_a1w, t.rule_other_village, now=now)


def test_household_outside_scope_is_not_found(village_rules, photo, now):
    t = village_rules
    with pytest.raises(NotFound):
        services.record(t.grid_worker_b1, t.h_a1w, t.rule_small, now=now)


def test_roles_without_permission_cannot_award(village_rules, photo, now):
    t = village_rules
    for user in (t.police, t.department, t.leader, t.instructor):
        with pytest.raises(NotAllowed):
            services.record(user, t.h_a1w, t.rule_small, now=now)


def test_future_date_is_refused(village_rules, photo, now):
    from datetime import date

    t = village_rules
    with pytest.raises(InvalidInput):
        services.record(
            t.grid_worker, t.h_a1w, t.rule_small, occurred_on=date(2026, 12, 1), now=now
        )


def test_ledger_entries_are_immutable(village_rules, photo, now):
    t = village_rules
    entry = services.record(t.grid_worker, t.h_a1w, t.rule_small, now=now)
    entry.points = 500
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()


def test_balance_equals_the_sum_of_the_ledger(village_rules, photo, now):
    from django.db.models import Sum

    t = village_rules
    services.record(t.grid_worker, t.h_a1w, t.rule_small, now=now)
    services.record(t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), now=now)
    services.record(t.grid_worker, t.h_a1w, t.rule_deduct, now=now)
    services.redeem(t.grid_worker, t.h_a1w, t.soap, 2, now=now)
    total = PointEntry.objects.filter(household=t.h_a1w).aggregate(s=Sum("points"))["s"]
    assert total == services.balance_of(t.h_a1w) == 5 + 20 - 5 - 10


def test_redemption_without_enough_points_changes_nothing(village_rules, photo, now):
    t = village_rules
    services.record(t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), now=now)
    with pytest.raises(Insufficient) as error:
        services.redeem(t.grid_worker, t.h_a1w, t.oil, 1, now=now)
    assert "20" in str(error.value.message)
    t.oil.refresh_from_db()
    assert t.oil.stock == 5
    assert services.balance_of(t.h_a1w) == 20


def test_redemption_only_at_own_village_supermarket(village_rules, photo, now):
    from wangge.staff.models import Role
    from wangge.staff.services import assign_role

    t = village_rules
    with pytest.raises(NotFound):
        services.redeem(t.grid_leader, t.h_a1w, t.towel_b, 1, now=now)
    assign_role(t.deputy, Role.GRID_LEADER, village=t.vb)  # sees both supermarkets
    with pytest.raises(InvalidInput):
        services.redeem(t.deputy, t.h_a1w, t.towel_b, 1, now=now)


@pytest.mark.parametrize("quantity", [0, -1, 100, "2"])
def test_bad_quantity_is_refused(village_rules, quantity, photo, now):
    t = village_rules
    with pytest.raises(InvalidInput):
        services.redeem(t.grid_worker, t.h_a1w, t.soap, quantity, now=now)


def test_star_ratings_from_points_and_conditions(village_rules, photo, now):
    from datetime import date

    t = village_rules
    day = date(2026, 6, 1)
    for _ in range(2):  # 40 points, no deductions → 4 stars (5 needs 50)
        services.record(
            t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), occurred_on=day, now=now
        )
    for _ in range(3):  # 60 points but a veto deduction → 1 star
        services.record(
            t.grid_worker, t.h_a1e, t.rule_medium, evidence=photo(), occurred_on=day, now=now
        )
    services.record(t.grid_worker, t.h_a1e, t.rule_veto, evidence=photo(), occurred_on=day, now=now)
    assert services.rate_year(t.grid_leader, t.va, 2026, now=now) == 3
    stars = dict(StarRating.objects.values_list("household__number", "stars"))
    assert stars == {"A1-001": 4, "A1-002": 1, "A2-001": 1}
    # Rating again replaces the year's ratings.
    services.record(
        t.grid_worker, t.h_a1w, t.rule_medium, evidence=photo(), occurred_on=day, now=now
    )
    services.rate_year(t.grid_leader, t.va, 2026, now=now)
    assert StarRating.objects.get(household=t.h_a1w, year=2026).stars == 5
    assert StarRating.objects.count() == 3


def test_best_family_nomination_and_selection(village_rules, photo, now):
    t = village_rules
    nomination = services.nominate(t.grid_worker, t.h_a1w, 2026, "照顾瘫痪婆婆十余年", now=now)
    with pytest.raises(InvalidInput):
        services.nominate(t.grid_worker, t.h_a1w, 2026, "再次提名", now=now)
    with pytest.raises(InvalidInput):
        services.nominate(t.grid_worker, t.h_a1e, 2026, "  ", now=now)
    with pytest.raises(NotAllowed):
        services.select_family(t.grid_worker, nomination, selected=True, now=now)
    services.select_family(t.grid_leader, nomination, selected=True, now=now)
    nomination.refresh_from_db()
    assert nomination.status == "selected"
    with pytest.raises(Conflict):
        services.select_family(t.deputy, nomination, selected=False, now=now)
