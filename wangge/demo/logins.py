"""One demo login per role, for the console, the README and the tests."""

from django.utils.translation import gettext as _

from wangge.staff.models import Role

DEMO_PASSWORD = "wangge-demo"
SUPERUSER = "admin"


def demo_logins() -> list[dict]:
    """One login per role: role, role_label, username, password, name, responsibility.

    The accounts are the same for every seed; the last one is the superuser.
    """
    rows = [
        (Role.GRID_WORKER, "zhangjunyu", "张峻瑜", _("grid worker of %(what)s"), "杨村第一网格"),
        (
            Role.GRID_HELPER,
            "yanchunmin",
            "闫春民",
            _("villager representative, micro-grid leader in %(what)s"),
            "杨村第一网格",
        ),
        (
            Role.GRID_LEADER,
            "yangcun.leader",
            "杨国强",
            _("grid leader (party secretary): all grids of %(what)s"),
            "杨村",
        ),
        (Role.GRID_INSTRUCTOR, "jiajie", "贾洁", _("grid instructor of %(what)s"), "杨村"),
        (Role.POLICE, "liubaolin", "刘宝林", _("community police, beat covering %(what)s"), "杨村"),
        (
            Role.DISPATCHER,
            "dispatcher1",
            "郭晓静",
            _("command-centre dispatcher of %(what)s"),
            "德亭镇",
        ),
        (Role.DEPARTMENT, "yanjingren", "闫靖仁", _("head of %(what)s"), "应急办"),
        (Role.LEADER, "xiameng", "夏萌", _("town party secretary: all of %(what)s"), "德亭镇"),
        (Role.ADMIN, "town-admin", "孙立新", _("administrator of %(what)s"), "德亭镇"),
    ]
    logins = [
        {
            "role": str(role.value),
            "role_label": str(role.label),
            "username": username,
            "password": DEMO_PASSWORD,
            "name": name,
            "responsibility": text % {"what": what},
        }
        for role, username, name, text, what in rows
    ]
    logins.append(
        {
            "role": "superuser",
            "role_label": _("superuser"),
            "username": SUPERUSER,
            "password": DEMO_PASSWORD,
            "name": "",
            "responsibility": _("Django admin, sees everything"),
        }
    )
    return logins
