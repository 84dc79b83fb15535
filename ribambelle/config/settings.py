"""Settings, driven by environment variables.

Development needs none of them: SQLite under var/, a generated secret key kept in
var/, mail written to the outbox and a local file. Production is switched on with
RIBAMBELLE_PRODUCTION=1 and then requires SECRET_KEY, ALLOWED_HOSTS and a real
DATABASE_URL; it passes `manage.py check --deploy` without warnings.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("RIBAMBELLE_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = env_bool("RIBAMBELLE_PRODUCTION")
DEBUG = env_bool("DEBUG", default=not PRODUCTION)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    if PRODUCTION:
        raise RuntimeError("SECRET_KEY doit être défini en production.")
    # Development: one key per checkout, kept so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "ribambelle.core",
    "ribambelle.tenancy",
    "ribambelle.outbox",
    "ribambelle.operations",
    "ribambelle.accounts",
    "ribambelle.families",
    "ribambelle.activities",
    "ribambelle.registrations",
    "ribambelle.bookings",
    "ribambelle.allocation",
    "ribambelle.communication",
    "ribambelle.documents",
    "ribambelle.billing",
    "ribambelle.payments",
    "ribambelle.helios",
    "ribambelle.stats",
    "ribambelle.caf",
    "ribambelle.franceconnect",
    "ribambelle.creche",
    "ribambelle.custody",
    "ribambelle.waitingroom",
    "ribambelle.renewals",
    "ribambelle.apiparticulier",
    "ribambelle.absences",
    "ribambelle.reminders",
    "ribambelle.portail",
    "ribambelle.backoffice",
    "ribambelle.demo",
]

MIDDLEWARE = [
    # First: the client's address and scheme from the balancer (TRUSTED_PROXIES), for all below.
    "ribambelle.core.proxy.ForwardedClientMiddleware",
    # A request id on every log line, in the response and in the tasks queued (core.observability).
    "ribambelle.core.observability.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ribambelle.core.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "ribambelle.core.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "ribambelle.core.middleware.PrivacyHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Inside the CSP middleware: lets a FranceConnect parent's logout form reach the provider.
    "ribambelle.franceconnect.middleware.FranceConnectFormActionMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ribambelle.tenancy.middleware.OrganisationMiddleware",
    # Last, so it sees the organisation and replaces a locked-out login's response.
    "axes.middleware.AxesMiddleware",
]

FORM_RENDERER = "ribambelle.core.forms.FormRenderer"
if not DEBUG:
    # Static files straight from the app in production (after `collectstatic`).
    MIDDLEWARE.insert(3, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "ribambelle.config.urls"
WSGI_APPLICATION = "ribambelle.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ribambelle.tenancy.context_processors.organisation",
                "ribambelle.portail.context_processors.portal_tabs",
                "ribambelle.backoffice.context_processors.queue_counts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'ribambelle.sqlite3'}"),
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if os.environ.get("DATABASE_POOL_MODE") == "transaction":
    # Behind PgBouncer in transaction mode, each transaction may run on another server connection:
    # no server-side cursors (they live past a transaction), no prepared statements (psycopg
    # prepares a query run 5 times on one connection). Our locks are transaction-level already.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if "CONN_MAX_AGE" in os.environ:  # the client connection to PgBouncer can stay open: it is cheap there
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["CONN_MAX_AGE"])
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers
    # queue instead of failing with "database is locked" (CONVENTIONS.md).
    # Connections stay open across requests as on PostgreSQL (conn_max_age above): opening one and
    # running its pragmas on every request cost two thirds of a small page's time. The pragmas run
    # once per connection; WAL itself is stored in the database file.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, for the test database: the concurrency tests share it between threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-ribambelle.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL: how long a booking waits for the openings' lock before the family is asked to retry.
BOOKING_LOCK_TIMEOUT = os.environ.get("BOOKING_LOCK_TIMEOUT", "5s")

# --- Accounts ---------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt while the account/IP pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    "ribambelle.accounts.backends.OrganisationEmailBackend",
]
# Brute-force lockout (django-axes): 5 failures on one account from one address lock
# that pair for 15 minutes. Accounts are per organisation, so is the lockout key.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "ribambelle.accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "ribambelle.accounts.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Behind the balancer, the address is the client's (core.proxy), never the balancer's.
AXES_CLIENT_IP_CALLABLE = "ribambelle.core.proxy.client_ip"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
OTP_TOTP_ISSUER = "Ribambelle"
AUTH_PASSWORD_VALIDATORS = [
    # Ours also covers "close to the e-mail or name" (the seed's rule): Django's similarity
    # validator said the same thing a second time in other words.
    {"NAME": "ribambelle.accounts.password_validation.RibambellePasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Our User is unique per (organisation, e-mail): see accounts.models.User.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
SESSION_ENGINE = "ribambelle.accounts.sessions"  # the database backend, read faster
SESSION_COOKIE_AGE = 60 * 60 * 24 * 30  # "Rester connecté"; otherwise the session ends with the browser

# --- Internationalisation ---------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
# Uploads are never public: they live outside static and are served by views
# that check the requester (CONVENTIONS.md rule 11).
MEDIA_ROOT = VAR_DIR / "protected"
# Every uploaded and generated file goes through Django's storage API (FileField, default_storage),
# under keys organised by organisation (`<kind>/<organisation id>/<random>`). STORAGE_BACKEND=s3:
# an S3-compatible object store (django-storages), shared by every app server and worker; the
# objects stay private (no public ACL, signed URLs never given out: views stream them after
# their access check). The default keeps local files under var/protected.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local")
if STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", "ribambelle"),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("AWS_LOCATION", ""),
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "addressing_style": os.environ.get("AWS_S3_ADDRESSING_STYLE") or None,
        },
    }
elif STORAGE_BACKEND == "local":
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
else:
    raise RuntimeError("STORAGE_BACKEND doit valoir « local » ou « s3 ».")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Backups (manage.py backup / restore, operations.backup) ----------------------------
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", VAR_DIR / "backups"))
BACKUP_RETENTION = int(os.environ.get("BACKUP_RETENTION", "7"))  # archives kept
# A Fernet key (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`):
# archives are then encrypted. Keep it outside the backups' machine.
BACKUP_ENCRYPTION_KEY = os.environ.get("BACKUP_ENCRYPTION_KEY", "")

# --- E-mail -----------------------------------------------------------------
# Every e-mail is an outbox row first (outbox.models.OutgoingEmail); the
# task worker hands it to this backend.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION or os.environ.get("EMAIL_HOST")
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = 20
# A claimed e-mail belongs to its worker this long (outbox.services.lease); then it is due again.
OUTBOX_LEASE_SECONDS = int(os.environ.get("OUTBOX_LEASE_SECONDS", "180"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ne-pas-repondre@ribambelle.localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Online payment -----------------------------------------------------------
# The providers staff may choose. The demo provider ("dummy", no real money) only outside
# production: the demo and the tests.
PAYMENT_PROVIDERS = env_list("PAYMENT_PROVIDERS", "payfip,payzen" if PRODUCTION else "payfip,payzen,dummy")
# The providers' addresses: the real services in production; elsewhere (the demo, `make run`)
# the local doubles of ribambelle.payments.doubles that `manage.py payment_doubles` serves on
# PAYMENT_DOUBLES_PORT (PayFiP) and the next port (PayZen). The tests start their own.
# PES export: invoice PDFs rendered by this many spawned worker processes (empty: the number
# of cores, at most 4; 0 or 1: in the exporting process), for runs of at least HELIOS_PDF_POOL_MIN.
HELIOS_PDF_WORKERS = int(os.environ["HELIOS_PDF_WORKERS"]) if os.environ.get("HELIOS_PDF_WORKERS") else None
HELIOS_PDF_POOL_MIN = int(os.environ.get("HELIOS_PDF_POOL_MIN", "200"))
PAYMENT_DOUBLES_PORT = int(os.environ.get("PAYMENT_DOUBLES_PORT", "8901"))
# FranceConnect: the addresses are per organisation (franceconnect.FranceConnectSettings); the demo's
# point to the local double `manage.py payment_doubles` serves on this port. Calls time out after
# FRANCECONNECT_TIMEOUT seconds.
FRANCECONNECT_DOUBLE_PORT = int(os.environ.get("FRANCECONNECT_DOUBLE_PORT", "8904"))
FRANCECONNECT_TIMEOUT = float(os.environ.get("FRANCECONNECT_TIMEOUT", "10"))
# A Fernet key for secrets stored in the database (the FranceConnect client secret); empty: derived
# from SECRET_KEY (then changing SECRET_KEY means typing the secrets again).
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
_PAYFIP_DOUBLE = f"http://127.0.0.1:{PAYMENT_DOUBLES_PORT}"
_PAYZEN_DOUBLE = f"http://127.0.0.1:{PAYMENT_DOUBLES_PORT + 1}"
# Empty: eopayment's copy of the real WSDL (www.payfip.gouv.fr).
PAYFIP_WSDL_URL = os.environ.get(
    "PAYFIP_WSDL_URL", "" if PRODUCTION else f"{_PAYFIP_DOUBLE}/tpa/services/securite?wsdl"
)
PAYFIP_PAYMENT_URL = os.environ.get(
    "PAYFIP_PAYMENT_URL",
    "https://www.payfip.gouv.fr/tpa/paiementws.web" if PRODUCTION else f"{_PAYFIP_DOUBLE}/tpa/paiementws.web",
)
PAYZEN_SERVICE_URL = os.environ.get(
    "PAYZEN_SERVICE_URL",
    "https://secure.payzen.eu/vads-payment/" if PRODUCTION else f"{_PAYZEN_DOUBLE}/vads-payment/",
)

# --- API Particulier (quotient familial CAF / MSA, ribambelle.apiparticulier) ------------
# The service's address is set per organisation (its settings page); a new organisation starts
# with this one: the real service in production, elsewhere the local double that
# `manage.py payment_doubles` serves on API_PARTICULIER_DOUBLE_PORT (the tests start their own).
API_PARTICULIER_DOUBLE_PORT = int(os.environ.get("API_PARTICULIER_DOUBLE_PORT", "8903"))
API_PARTICULIER_DEFAULT_URL = os.environ.get(
    "API_PARTICULIER_DEFAULT_URL",
    "https://particulier.api.gouv.fr" if PRODUCTION else f"http://127.0.0.1:{API_PARTICULIER_DOUBLE_PORT}",
)
API_PARTICULIER_TIMEOUT = int(os.environ.get("API_PARTICULIER_TIMEOUT", "10"))  # seconds to answer
API_PARTICULIER_MAX_CALLS_PER_SECOND = 19  # published limit: 20 per second per token
# The stored token is encrypted with FIELD_ENCRYPTION_KEY (core/crypto.py), like the FranceConnect secret.

# --- Tasks ------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "ribambelle.core.tasks_backend.DatabaseBackend"}}  # django-tasks-db, one INSERT

# --- Security -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # ALTCHA solves its proof-of-work in a Web Worker loaded from our static files.
        "worker-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The balancer(s) whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or networks,
# comma-separated (e.g. "127.0.0.1,10.0.0.0/24"). Empty (the default): REMOTE_ADDR is the client.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")
# HTTPS terminated at the balancer: "HTTP_X_FORWARDED_PROTO,https" (the production default).
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO,https" if PRODUCTION else "")
if len(_proxy_ssl_header) == 2:
    SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header[0], _proxy_ssl_header[1])
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # The balancer's health checks reach the instances in plain HTTP, on the private network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGIN_URL = "/"


# LOG_FORMAT=json: one JSON object per line (time, level, logger, message, request_id, client_ip),
# for a log collector; the default stays plain text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "ribambelle.core.observability.ContextFilter"}},
    "formatters": {
        "json": {"()": "ribambelle.core.observability.JsonFormatter"},
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Web push of the reminders (reminders/push.py): the installation's VAPID keys, base64url, or
# else the file `manage.py vapid_keys` writes; without either, reminders go by e-mail only.
WEBPUSH_VAPID_PRIVATE_KEY = os.environ.get("WEBPUSH_VAPID_PRIVATE_KEY", "")
WEBPUSH_VAPID_PUBLIC_KEY = os.environ.get("WEBPUSH_VAPID_PUBLIC_KEY", "")
WEBPUSH_VAPID_FILE = os.environ.get("WEBPUSH_VAPID_FILE", "")
WEBPUSH_VAPID_SUBJECT = os.environ.get("WEBPUSH_VAPID_SUBJECT", "")  # mailto: or https: of the operator

# --- Error reporting ------------------------------------------------------------
# Sentry, or a self-hosted GlitchTip (same protocol), when SENTRY_DSN is set.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from ribambelle.core.observability import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production" if PRODUCTION else "development"),
        release=os.environ.get("SENTRY_RELEASE", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )
