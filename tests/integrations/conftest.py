"""Alarm sources, a camera and a signed client for the hook tests."""

import base64
import io
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from wangge.cases import clock
from wangge.grids.models import Place, PlaceKind
from wangge.integrations import signing
from wangge.integrations.models import Camera, HookSource, SourceKind

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=SH)
POLICE_SECRET = "county-police-secret-0123456789abcdef"
VIDEO_SECRET = "video-platform-secret-0123456789abcdef"


@pytest.fixture
def frozen():
    with clock.simulated(NOW):
        yield NOW


@pytest.fixture
def police_source(town, catalogue):
    source = HookSource(town=town.town, name="嵩县公安局反诈中心", key="song-police", kind="police")
    source.set_secret(POLICE_SECRET)
    source.save()
    return source


@pytest.fixture
def video_source(town, catalogue):
    source = HookSource(
        town=town.town, name="雪亮工程视频平台", key="xueliang", kind=SourceKind.VIDEO
    )
    source.set_secret(VIDEO_SECRET)
    source.save()
    return source


@pytest.fixture
def adit(town):
    return Place.objects.create(
        town=town.town,
        village=town.vb,
        grid=town.b2,
        kind=PlaceKind.SEALED_ADIT,
        name="庄科3号封闭矿洞",
        latitude=34.092,
        longitude=112.012,
        address="庄科村矿区3号洞口",
    )


@pytest.fixture
def camera(video_source, adit):
    return Camera.objects.create(
        town=video_source.town,
        source=video_source,
        camera_id="410325-CAM-0031",
        name="庄科3号洞口监控",
        place=adit,
        category_code="AQ02",
    )


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 60)).save(out, "JPEG")
    return out.getvalue()


def snapshot_b64() -> str:
    return base64.b64encode(jpeg_bytes()).decode()


@pytest.fixture
def post_signed(client):
    """POST a JSON body to a hook, signed with `secret` at `at` (default: the frozen now)."""

    def post(url, payload, *, source, secret, at=NOW, signature=None, headers=None):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = signing.sign(secret, body, at, source=source)
        if signature is not None:
            signed[signing.SIGNATURE_HEADER] = signature
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()}
        for name, value in (headers or {}).items():
            key = f"HTTP_{name.upper().replace('-', '_')}"
            if value is None:
                extra.pop(key, None)
            else:
                extra[key] = value
        return client.post(url, data=body, content_type="application/json", **extra)

    return post
