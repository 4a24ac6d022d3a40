"""Helpers of the Open311 tests: where the API is, the test town's code, XML and times."""

from datetime import datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASE = "/open311/v2/"
JURISDICTION = "410325106000"  # 德亭镇, the `town` fixture's town


def xml(response):
    assert response["Content-Type"].startswith("text/xml")
    return ElementTree.fromstring(response.content)


def at(*args):
    return datetime(*args, tzinfo=SHANGHAI)
