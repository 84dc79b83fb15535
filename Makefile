# Two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Running needs the application only; the test tools (Playwright, ruff…) come with `make test`.
TEST_STAMP := $(VENV)/.installed-test
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in e-mails and the demo logins printed by `make run` follow HOST and PORT.
SITE_URL ?= http://$(HOST):$(PORT)
export SITE_URL

.PHONY: run test install install-test e2e-browser gettext messages lint clean prod-packages prod-up prod-down

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)

install-test: $(TEST_STAMP)

# Creates the virtualenv, migrates var/ribambelle.sqlite3, loads the demo, then serves
# the site with the task worker (which sends the e-mails) and the local PayFiP/PayZen doubles
# (manage.py payment_doubles) until Ctrl-C.
run: install
	mkdir -p var
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py vapid_keys  # web push of the reminders: this installation's keys, once (var/)
	@echo "Serveur : http://$(HOST):$(PORT)/  (Ctrl-C pour arrêter)"
	@trap 'kill 0' INT TERM EXIT; \
	  while :; do $(BIN)/python manage.py worker --queue-name '*' --no-startup-delay --verbosity 0; \
	    echo "Worker arrêté : redémarrage dans 2 s"; sleep 2; done & \
	  while :; do $(BIN)/python manage.py periodic --loop 300; \
	    echo "Tâches périodiques arrêtées : redémarrage dans 2 s"; sleep 2; done & \
	  $(BIN)/python manage.py payment_doubles --verbosity 0 & \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Debian's Chromium drives the browser tests (nothing is downloaded at run time).
e2e-browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
	  echo "Installation de chromium (Debian) pour les tests dans le navigateur…"; \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)); \
	else \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! chromium absent et pas root : les tests dans le navigateur (e2e) seront IGNORÉS. !!"; \
	  echo "!! Installez-le : sudo apt-get install chromium                                      !!"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

# GNU gettext: the test that no marked text is missing from the English catalogue runs makemessages.
gettext:
	@command -v xgettext >/dev/null 2>&1 || [ "$$(id -u)" != "0" ] || \
	  (apt-get install -y -qq gettext >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq gettext >/dev/null))

# After changing texts: update locale/en/LC_MESSAGES/django.po, translate the new entries, then
# run it again to compile django.mo (both files are committed: `make run` needs no gettext).
messages: install gettext
	$(BIN)/python manage.py makemessages -l en --no-obsolete --ignore=.venv --ignore=tests --ignore=bench --ignore=var
	$(BIN)/python manage.py compilemessages -l en --ignore=.venv

# --reuse-db keeps the test database between runs (pending migrations are still applied);
# after switching to a branch whose migrations differ: `make test TEST_DB=--create-db`.
TEST_DB ?= --reuse-db
test: install-test e2e-browser gettext
	$(BIN)/ruff check .
	$(BIN)/pytest -q $(TEST_DB) $(PYTEST_ARGS)

# Production layout on this machine (docs/deploiement.md): HAProxy → 2 gunicorn → PgBouncer →
# PostgreSQL (127.0.0.1:5432), S3 (moto_server), 2 workers, the periodic sweep; `make prod-down` stops it.
# Debian packages needed only here, not by `make run`.
prod-packages:
	@command -v haproxy >/dev/null 2>&1 && command -v pgbouncer >/dev/null 2>&1 || \
	  (apt-get install -y -qq haproxy pgbouncer >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq haproxy pgbouncer >/dev/null))

prod-up: install-test prod-packages
	deploy/prod-up.sh

prod-down:
	deploy/prod-down.sh

clean:
	rm -rf $(VENV) var/staticfiles
