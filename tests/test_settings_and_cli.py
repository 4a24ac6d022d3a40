"""Settings fail loudly on bad values; the `wangge` command maps hyphenated names."""

import json
import os
import subprocess
import sys

import pytest

from wangge import cli
from wangge.env import ConfigError, env_bool, env_int, env_list


def test_env_bool(monkeypatch):
    monkeypatch.setenv("X_FLAG", "yes")
    assert env_bool("X_FLAG") is True
    monkeypatch.setenv("X_FLAG", "0")
    assert env_bool("X_FLAG", True) is False
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ConfigError, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_int_and_list(monkeypatch):
    monkeypatch.setenv("X_NUM", "abc")
    with pytest.raises(ConfigError, match="whole number"):
        env_int("X_NUM", 1)
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ConfigError, match="at least 1"):
        env_int("X_NUM", 1, minimum=1)
    monkeypatch.setenv("X_LIST", "a.example, b.example ,")
    assert env_list("X_LIST", []) == ["a.example", "b.example"]


def _import_settings(
    code="print(s.DEBUG, s.DATABASES['default']['ENGINE'])", **env
) -> subprocess.CompletedProcess:
    """Import the settings in a process of their own, with `env`; run `code` (`s`: the settings)."""
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", f"import wangge.settings as s; {code}"],
        capture_output=True,
        text=True,
        env=environment,
    )


def test_settings_refuse_a_bad_debug_value():
    result = _import_settings(WANGGE_DEBUG="perhaps")
    assert result.returncode != 0 and "WANGGE_DEBUG" in result.stderr


def test_settings_refuse_an_unknown_database():
    result = _import_settings(DATABASE_URL="mysql://u:p@localhost/db")
    assert result.returncode != 0 and "DATABASE_URL" in result.stderr


def _database_options(**env):
    return _import_settings(
        "d = s.DATABASES['default'];"
        " print(d['ENGINE'], d.get('OPTIONS', {}).get('prepare_threshold', 'unset'))",
        **env,
    )


PG_URL = "postgres://u:p@localhost/db"


def test_postgresql_prepares_hot_statements_unless_told_not_to():
    assert _database_options(DATABASE_URL=PG_URL).stdout.split() == ["wangge.core.postgresql", "5"]
    off = _database_options(DATABASE_URL=PG_URL, WANGGE_PG_PREPARE_THRESHOLD="off")
    assert off.stdout.split() == ["wangge.core.postgresql", "None"]
    once = _database_options(DATABASE_URL=PG_URL, WANGGE_PG_PREPARE_THRESHOLD="0")
    assert once.stdout.split() == ["wangge.core.postgresql", "0"]
    bad = _database_options(DATABASE_URL=PG_URL, WANGGE_PG_PREPARE_THRESHOLD="sometimes")
    assert bad.returncode != 0 and "WANGGE_PG_PREPARE_THRESHOLD" in bad.stderr


def test_debug_is_off_by_default():
    env = {k: v for k, v in os.environ.items() if k != "WANGGE_DEBUG"}
    result = subprocess.run(
        [sys.executable, "-c", "import wangge.settings as s; print(s.DEBUG)"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert result.stdout.strip() == "False"


def test_settings_require_keys_when_none_are_found(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANGGE_")}
    env["WANGGE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", "import wangge.settings"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0 and "WANGGE_SECRET_KEY must be set" in result.stderr


def test_hyphenated_command_names_run_the_underscore_command(town, capsys):
    cli.main(["wangge", "summary", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["villages"] == 3 and data["grids_by_kind"] == {"basic": 4, "special": 1}
    assert data["staff_by_role"]["grid_worker"] == 2
    assert data["households"] == 5 and data["residents"] == 5
