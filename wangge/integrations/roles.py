"""What each role may do with alarm sources, cameras, received alarms and the outbox."""

from wangge.staff.models import Role

ROLE_PERMISSIONS = {
    Role.ADMIN: [
        "integrations.view_hooksource",
        "integrations.add_hooksource",
        "integrations.change_hooksource",
        "integrations.view_camera",
        "integrations.add_camera",
        "integrations.change_camera",
        "integrations.delete_camera",
        "integrations.view_receivedevent",
        "integrations.view_outboxentry",
        "integrations.change_outboxentry",
    ],
    Role.DISPATCHER: [
        "integrations.view_camera",
        "integrations.view_receivedevent",
        "integrations.view_outboxentry",
        "integrations.change_outboxentry",
    ],
}
