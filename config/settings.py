"""Settings for memory admin; everything a deployment changes comes from the environment."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from config.env import database_settings, env_bool, env_int, secret_key
from memoryadmin.csp import DEFAULT_POLICY

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("MEMORYADMIN_DATA_DIR") or BASE_DIR / "data")

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = secret_key(DATA_DIR, DEBUG)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# Production behind HTTPS: DJANGO_SECURE=1 turns on everything `check --deploy`
# asks for. Off by default so `make run` keeps working on plain http://127.0.0.1.
if env_bool("DJANGO_SECURE", False):
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe the liveness endpoint over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
    # Only behind a proxy that terminates TLS and overwrites X-Forwarded-Proto
    # (gunicorn binds 127.0.0.1): trusting the header otherwise lets clients lie.
    if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Scripts from this origin only (see memoryadmin/csp.py for why styles differ).
CONTENT_SECURITY_POLICY = os.environ.get("DJANGO_CSP", "").strip() or DEFAULT_POLICY
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "ninja",
    "django_q",
    "axes",
    "memoryadmin",
    "episodes",
    "sync",
    "console",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "memoryadmin.csp.ContentSecurityPolicyMiddleware",
    "config.head.ApiHeadAsGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "memoryadmin.audit.middleware.AuditActorMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# Login throttling (console and /admin, by django-axes): after LOGIN_FAILURE_LIMIT
# wrong passwords for one account, or from one address, logins stop for
# LOGIN_LOCKOUT_MINUTES, the right password included; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "memoryadmin.roles.roles",
                "memoryadmin.namespaces.console.namespaces",
            ],
        },
    },
]

# The Django database is libSQL: a local file by default, Turso when
# TURSO_DATABASE_URL is set (see README "Modes").
DATABASES = {"default": database_settings(DATA_DIR)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"

# The redb hot cache (see hotcache/cache.py).
REDB_CACHE_PATH = Path(os.environ.get("REDB_CACHE_PATH") or DATA_DIR / "cache.redb")
MAX_EPISODES_CACHE = env_int("MAX_EPISODES_CACHE", 1000, minimum=1)
# Queue a write-behind task after each episode write (debounced to one per 2 s
# per process), so the cache follows the database within seconds.
CACHE_WRITE_BEHIND = env_bool("CACHE_WRITE_BEHIND", True)
# Retrieval counts (patterns' times_retrieved) are tallied per process and
# handed to the cluster at most once per this many seconds (reads write nothing).
RETRIEVAL_COUNT_FLUSH_SECONDS = env_int("RETRIEVAL_COUNT_FLUSH_SECONDS", 10, minimum=1)
# The cache counts as stale (GET /sync/freshness) when it lags the database by
# more than this; reads never trigger a sync (the schedules and write-behind do).
SYNC_STALE_SECONDS = env_int("SYNC_STALE_SECONDS", 600, minimum=1)

# django-q2: the ORM broker by default (the queue lives in the same libSQL
# database); Q_REDIS_URL switches to a Redis broker for multi-node set-ups.
Q_CLUSTER: dict[str, object] = {
    "name": "memoryadmin",
    "workers": env_int("Q_WORKERS", 1, minimum=1),
    # Process-level deadline: a task stuck in a remote call is killed here.
    "timeout": env_int("Q_TIMEOUT_SECONDS", 600, minimum=1),
    "retry": env_int("Q_TIMEOUT_SECONDS", 600, minimum=1) + 60,
    "max_attempts": 3,
    "poll": 1,
    "catch_up": False,
    "save_limit": 500,
}
if Q_REDIS_URL := os.environ.get("Q_REDIS_URL", "").strip():
    Q_CLUSTER["redis"] = Q_REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Static files (htmx, plotly.js, our CSS) are served by whitenoise from the
# app finders, so the product works without a separate web server.
WHITENOISE_USE_FINDERS = True

# Embeddings for retrieval: none (keyword + context), local (offline MiniLM
# from the `local` extra) or openai (an OpenAI-compatible HTTP endpoint).
EMBEDDINGS_PROVIDER = os.environ.get("EMBEDDINGS_PROVIDER", "none").strip().lower() or "none"

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "memoryadmin.staticfinders.PlotlyFinder",
]

# Per-key API limits (keys may override): requests per minute, episode starts per UTC day.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600, minimum=1)
API_DAILY_EPISODE_QUOTA = env_int("API_DAILY_EPISODE_QUOTA", 10_000, minimum=1)
