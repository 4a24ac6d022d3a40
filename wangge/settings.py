"""Settings, read from the environment (see README "Configuration")."""

import os
import tempfile
from pathlib import Path

import dj_database_url

from wangge.env import ConfigError, env_bool, env_int, env_json, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("WANGGE_VAR_DIR", str(BASE_DIR / "var")))


def _secret(name: str, filename: str) -> str:
    """An env setting, or else the demo's generated file in var/."""
    try:
        return env_str(name)
    except ConfigError:
        path = VAR_DIR / filename
        if path.exists():
            return path.read_text().strip()
        raise ConfigError(
            f"{name} must be set (or run `make demo`, which generates one into {VAR_DIR})"
        ) from None


SECRET_KEY = _secret("WANGGE_SECRET_KEY", "secret.key")
# One or more Fernet keys, comma-separated; the first encrypts, all decrypt (rotation).
FIELD_KEYS = [k.strip() for k in _secret("WANGGE_FIELD_KEY", "field.key").split(",") if k.strip()]
# The key of the lookup hashes (ID and phone numbers); keep it when rotating field keys.
LOOKUP_KEY = env_str("WANGGE_LOOKUP_KEY", "")
DEBUG = env_bool("WANGGE_DEBUG", False)
ALLOWED_HOSTS = env_list("WANGGE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("WANGGE_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "wangge.core",
    "wangge.grids",
    "wangge.staff",
    "wangge.residents",
    "wangge.cases",
    "wangge.dashboard",
    "wangge.fieldwork",
    "wangge.points",
    "wangge.community",
    "wangge.api",
    "wangge.open311",
    "wangge.integrations",
    "wangge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wangge.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.core.nav.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'wangge.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("WANGGE_DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend with writers queued on a lock file (wangge/core/sqlite).
    _db["ENGINE"] = "wangge.core.sqlite"
    # Connections are kept (WANGGE_DB_CONN_MAX_AGE) as on PostgreSQL: opening one
    # (its pragmas, Django's SQL functions) cost 1.5 ms, more than most requests.
    _db["OPTIONS"] = {
        # Writers take the lock at BEGIN, so two writers queue instead of
        # failing half-way with "database is locked".
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("WANGGE_SQLITE_TIMEOUT", 20, minimum=1),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    # Tests use a file, not shared-cache memory: concurrency tests need real
    # locking (busy timeout) between threads. One file per process.
    _db["TEST"] = {
        "NAME": env_str(
            "WANGGE_TEST_DB",
            str(Path(tempfile.gettempdir()) / f"wangge-test-{os.getpid()}.sqlite3"),
        )
    }
elif _db["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with a cursor whose statements PostgreSQL plans once per
    # connection (wangge/core/postgresql), for the statements every request runs.
    _db["ENGINE"] = "wangge.core.postgresql"
    _db["CONN_HEALTH_CHECKS"] = True
    # Runs of one statement before psycopg prepares it on the server; "off" for
    # a pooler that cannot keep prepared statements (PgBouncer before 1.21 in
    # transaction mode).
    _prepare = env_str("WANGGE_PG_PREPARE_THRESHOLD", "5").strip().lower()
    if _prepare == "off":
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = None
    elif _prepare.isdigit():
        _db.setdefault("OPTIONS", {})["prepare_threshold"] = int(_prepare)
    else:
        raise ConfigError(
            f"WANGGE_PG_PREPARE_THRESHOLD must be a whole number or off, got {_prepare!r}"
        )
else:
    raise ConfigError(f"DATABASE_URL must be sqlite:// or postgres://, got {_db['ENGINE']}")
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by all processes (rate limits on public pages need one).
CACHES = {
    "default": {
        "BACKEND": "wangge.core.cache.SharedDatabaseCache",
        "LOCATION": "wangge_cache",
    }
}

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "staff.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Idle timeout: the session lives this long after the last request.
SESSION_COOKIE_AGE = env_int("WANGGE_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("WANGGE_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# Brute-force lockout (django-axes): by username and client address.
AXES_FAILURE_LIMIT = env_int("WANGGE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("WANGGE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# --- Language and time ----------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "wangge" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static files (served by the app itself through whitenoise) -------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
    ("vendor/leaflet.markercluster", NODE_MODULES / "leaflet.markercluster" / "dist"),
    ("vendor/leaflet.heat", NODE_MODULES / "leaflet.heat" / "dist"),
    ("vendor/swagger-ui", NODE_MODULES / "swagger-ui-dist"),
]
STATICFILES_DIRS = [(prefix, path) for prefix, path in STATICFILES_DIRS if path.exists()]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Without collectstatic (tests, development) whitenoise finds files in place.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"

# --- Security headers ---------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Domain settings --------------------------------------------------------
# Optional tile server for maps (e.g. a 天地图 URL with its key); none by default.
WANGGE_TILE_URL = env_str("WANGGE_TILE_URL", "")
# How often a process re-checks the grid map for changes made by another process.
WANGGE_LOCATOR_RECHECK_SECONDS = env_int("WANGGE_LOCATOR_RECHECK_SECONDS", 30, minimum=0)
# A new case this near an open case of the same category, reported within the
# window, is flagged as a likely duplicate.
WANGGE_DUPLICATE_RADIUS_M = env_int("WANGGE_DUPLICATE_RADIUS_M", 200, minimum=0)
WANGGE_DUPLICATE_WINDOW_HOURS = env_int("WANGGE_DUPLICATE_WINDOW_HOURS", 48, minimum=0)
WANGGE_MAX_UPLOAD_BYTES = env_int("WANGGE_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, minimum=1024)
WANGGE_POLICY_CACHE_SECONDS = env_int("WANGGE_POLICY_CACHE_SECONDS", 60, minimum=0)
# Residents' pages: requests per address (django-ratelimit rates, e.g. 30/m).
WANGGE_PUBLIC_TRACK_RATE = env_str("WANGGE_PUBLIC_TRACK_RATE", "30/m")
WANGGE_PUBLIC_REPORT_RATE = env_str("WANGGE_PUBLIC_REPORT_RATE", "10/h")
WANGGE_OPEN311_POST_RATE = env_str("WANGGE_OPEN311_POST_RATE", "60/m")
WANGGE_API_PUBLIC_RATE = env_str("WANGGE_API_PUBLIC_RATE", "60/m")

# Inbound alarms (hooks) and outbound notices (integrations app).
WANGGE_HOOK_REPLAY_WINDOW_SECONDS = env_int("WANGGE_HOOK_REPLAY_WINDOW_SECONDS", 300, minimum=1)
WANGGE_POLICE_DIRECTIVE_CATEGORY = env_str("WANGGE_POLICE_DIRECTIVE_CATEGORY", "TF04")
WANGGE_VIDEO_ALARM_CATEGORY = env_str("WANGGE_VIDEO_ALARM_CATEGORY", "ZA03")
WANGGE_NOTICE_CHANNELS = env_json("WANGGE_NOTICE_CHANNELS", ["wangge.integrations.channels.InApp"])
WANGGE_OUTBOX_MAX_ATTEMPTS = env_int("WANGGE_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
WANGGE_OUTBOX_BACKOFF_SECONDS = env_int("WANGGE_OUTBOX_BACKOFF_SECONDS", 30, minimum=1)
WANGGE_OUTBOX_MAX_BACKOFF_SECONDS = env_int("WANGGE_OUTBOX_MAX_BACKOFF_SECONDS", 3600, minimum=1)
WANGGE_OUTBOX_LEASE_SECONDS = env_int("WANGGE_OUTBOX_LEASE_SECONDS", 120, minimum=1)

# Field work: how near a place an inspector must check in; the service
# stations' "ten-minute circle" as a straight-line walk.
WANGGE_CHECK_IN_RADIUS_M = env_int("WANGGE_CHECK_IN_RADIUS_M", 100, minimum=1)
WANGGE_SERVICE_WALK_M = env_int("WANGGE_SERVICE_WALK_M", 800, minimum=1)

# Weights of the composite score and the league scores (12345 style), as JSON.
WANGGE_SCORE_WEIGHTS = env_json(
    "WANGGE_SCORE_WEIGHTS", {"response": 0.1, "resolution": 0.5, "satisfaction": 0.4}
)
# Behind a reverse proxy, the request header that holds the client's address
# (as Django names it, e.g. HTTP_X_REAL_IP); the proxy must set it.
RATELIMIT_IP_META_KEY = env_str("WANGGE_CLIENT_IP_HEADER", "REMOTE_ADDR")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("WANGGE_LOG_LEVEL", "INFO")},
}
