"""What each role may do in field work (merged into the role groups by
`wangge.staff.services.role_permissions`). Members of the special team may check
in at their group's places whatever their role."""

from wangge.staff.models import Role

_VIEW = [
    "fieldwork.view_visit",
    "fieldwork.view_inspection",
    "fieldwork.view_placewatch",
    "fieldwork.view_servicestation",
    "fieldwork.view_teamgroup",
]

ROLE_PERMISSIONS = {
    Role.GRID_WORKER: [*_VIEW, "fieldwork.add_visit", "fieldwork.add_inspection"],
    Role.GRID_HELPER: [*_VIEW, "fieldwork.add_visit"],
    Role.GRID_LEADER: [*_VIEW, "fieldwork.add_visit", "fieldwork.add_inspection"],
    Role.GRID_INSTRUCTOR: [*_VIEW, "fieldwork.add_visit"],
    Role.POLICE: [*_VIEW],
    Role.DISPATCHER: [*_VIEW],
    Role.DEPARTMENT: [],
    Role.LEADER: [*_VIEW],
    Role.ADMIN: [
        *_VIEW,
        "fieldwork.add_visitplan",
        "fieldwork.change_visitplan",
        "fieldwork.view_visitplan",
        "fieldwork.add_inspectionschedule",
        "fieldwork.change_inspectionschedule",
        "fieldwork.view_inspectionschedule",
        "fieldwork.add_teamgroup",
        "fieldwork.change_teamgroup",
        "fieldwork.add_rotaday",
        "fieldwork.change_rotaday",
        "fieldwork.delete_rotaday",
        "fieldwork.view_rotaday",
        "fieldwork.change_placewatch",
        "fieldwork.add_servicestation",
        "fieldwork.change_servicestation",
    ],
}
