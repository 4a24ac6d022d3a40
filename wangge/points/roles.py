"""What each role may do with points (row visibility still comes from the scope).

Grid workers and village leaders record awards and deductions and serve the
supermarket counter for households in their scope; large awards need a second
person with `approve_awardproposal` (the village's grid leader); grid leaders
restock, rate the year and select 最美家庭; town roles see everything.
"""

from wangge.staff.models import Role

VIEW = [
    "points.view_pointrule",
    "points.view_pointscheme",
    "points.view_pointaccount",
    "points.view_pointentry",
    "points.view_awardproposal",
    "points.view_good",
    "points.view_redemption",
    "points.view_starrating",
    "points.view_familynomination",
]

ROLE_PERMISSIONS = {
    Role.GRID_WORKER: [
        *VIEW,
        "points.add_pointentry",
        "points.add_redemption",
        "points.add_familynomination",
    ],
    Role.GRID_HELPER: ["points.view_pointrule", "points.view_good"],
    Role.GRID_LEADER: [
        *VIEW,
        "points.add_pointentry",
        "points.add_redemption",
        "points.add_familynomination",
        "points.approve_awardproposal",
        "points.change_good",
        "points.add_good",
        "points.add_pointrule",
        "points.change_pointrule",
        "points.change_pointscheme",
        "points.add_pointscheme",
        "points.add_starrating",
        "points.select_familynomination",
    ],
    Role.GRID_INSTRUCTOR: list(VIEW),
    Role.DISPATCHER: list(VIEW),
    Role.LEADER: list(VIEW),
    Role.ADMIN: [
        *VIEW,
        "points.add_pointrule",
        "points.change_pointrule",
        "points.add_pointscheme",
        "points.change_pointscheme",
        "points.add_good",
        "points.change_good",
        "points.add_starrating",
        "points.select_familynomination",
        "points.approve_awardproposal",
    ],
}
