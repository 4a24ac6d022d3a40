"""Generate the demo's secret key and personal-data key into the var/ folder.

Real deployments set WANGGE_SECRET_KEY and WANGGE_FIELD_KEY in the environment;
`make demo` and `make test` call this so a fresh clone works with no set-up.
"""

import secrets
import sys
from pathlib import Path

from cryptography.fernet import Fernet


def ensure_keys(var_dir: Path) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    secret = var_dir / "secret.key"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(50))
        secret.chmod(0o600)
    field = var_dir / "field.key"
    if not field.exists():
        field.write_text(Fernet.generate_key().decode())
        field.chmod(0o600)


if __name__ == "__main__":
    ensure_keys(Path(sys.argv[1] if len(sys.argv) > 1 else "var"))
