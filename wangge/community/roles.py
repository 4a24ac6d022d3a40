"""What each role may do with reserve cadres and rectification projects.

Grid instructors assess reserve cadres and move them along the pipeline; grid
leaders keep their village's register and report their projects' progress;
town roles see everything and the administrator keeps the master data.
"""

from wangge.staff.models import Role

VIEW = [
    "community.view_reservecadre",
    "community.view_cadreassessment",
    "community.view_rectificationproject",
    "community.view_rectificationtarget",
    "community.view_progressupdate",
]
PROJECTS_VIEW = [
    "community.view_rectificationproject",
    "community.view_rectificationtarget",
    "community.view_progressupdate",
]

ROLE_PERMISSIONS = {
    Role.GRID_WORKER: list(PROJECTS_VIEW),
    Role.GRID_LEADER: [
        *VIEW,
        "community.add_reservecadre",
        "community.change_reservecadre",
        "community.add_rectificationproject",
        "community.add_progressupdate",
    ],
    Role.GRID_INSTRUCTOR: [
        *VIEW,
        "community.assess_reservecadre",
        "community.change_reservecadre",
        "community.add_progressupdate",
    ],
    Role.DISPATCHER: list(VIEW),
    Role.LEADER: list(VIEW),
    Role.ADMIN: [
        *VIEW,
        "community.add_reservecadre",
        "community.change_reservecadre",
        "community.add_rectificationproject",
        "community.change_rectificationproject",
        "community.add_progressupdate",
    ],
}
