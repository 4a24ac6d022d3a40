"""Photos on cases: checked by content (not by name), stored under server-side names,
with a thumbnail made by Pillow."""

from __future__ import annotations

import io
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from wangge.cases import clock
from wangge.cases.errors import InvalidInput
from wangge.cases.models import Attachment, Case

ALLOWED = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
THUMBNAIL_SIZE = (320, 320)


def max_bytes() -> int:
    return settings.WANGGE_MAX_UPLOAD_BYTES


def _read(upload) -> bytes:
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read()
    if hasattr(upload, "seek"):
        upload.seek(0)
    return data


def check_upload(upload) -> tuple[str, str]:
    """Return (content type, extension) of an acceptable photo, or raise InvalidInput."""
    size = getattr(upload, "size", None)
    data = None
    if size is None:
        data = _read(upload)
        size = len(data)
    if size > max_bytes():
        raise InvalidInput(
            _("The photo is too large (%(size)s MB; at most %(max)s MB).")
            % {"size": round(size / 1048576, 1), "max": max_bytes() // 1048576},
            field="photos",
        )
    data = data if data is not None else _read(upload)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise InvalidInput(
            _("The file is not a photo (JPEG, PNG or WebP)."), field="photos"
        ) from None
    if kind not in ALLOWED:
        raise InvalidInput(_("The file is not a photo (JPEG, PNG or WebP)."), field="photos")
    return ALLOWED[kind]


def _thumbnail(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()


def save_attachments(case: Case, uploads, *, uploaded_by=None, event=None) -> list[Attachment]:
    """Store checked photos for a case. Raises InvalidInput for a bad one (nothing stored then)."""
    checked = [(upload, *check_upload(upload)) for upload in uploads]
    saved = []
    for upload, content_type, extension in checked:
        data = _read(upload)
        stem = uuid.uuid4().hex
        attachment = Attachment(
            case=case,
            event=event,
            stored_name=f"{stem}.{extension}",
            original_name=(getattr(upload, "name", "") or "")[-200:],
            content_type=content_type,
            size=len(data),
            uploaded_by=uploaded_by,
            uploaded_at=clock.now(),
        )
        attachment.file.save(attachment.stored_name, ContentFile(data), save=False)
        attachment.stored_name = f"{stem}-thumb.jpg"
        attachment.thumbnail.save(attachment.stored_name, ContentFile(_thumbnail(data)), save=False)
        attachment.stored_name = f"{stem}.{extension}"
        attachment.save()
        saved.append(attachment)
    return saved
