# The two commands a newcomer needs:  make run  and  make test.
# Each step leaves a stamp file, so a second run skips what is already done.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app
DEBIAN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-dejavu-core poppler-utils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test setup system-packages python-packages frontend static translations database signing-keys demo-data dev-server serve bench-tools messages clean

run: setup database signing-keys demo-data dev-server

# ruff (the rules in pyproject.toml), then the suite on every core (pytest-xdist), a file at a
# time: a module's data is built once.
test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n auto --dist loadfile

setup: system-packages python-packages frontend static translations

# Debian packages WeasyPrint, the CJK PDFs and the browser tests need; only the missing ones are installed.
system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

python-packages: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres,redis]'
	touch $@

# Third-party front-end code comes from the npm registry, pinned in package-lock.json, never committed.
frontend: static/vendor/.installed

static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	touch $@

# gzip and Brotli copies of our static files and the vendored ones, beside them (ignored by git),
# remade when a file changes; WhiteNoise sends them to browsers that accept them (portal/static_files.py).
STATIC_SOURCES := $(shell find static/css static/js -type f ! -name '*.gz' ! -name '*.br' 2>/dev/null)
static: static/vendor/.compressed

static/vendor/.compressed: static/vendor/.installed $(STATIC_SOURCES) $(VENV)/.installed
	$(BIN)/python -m whitenoise.compress -q static/css
	$(BIN)/python -m whitenoise.compress -q static/js
	$(BIN)/python -m whitenoise.compress -q static/vendor
	touch $@

translations: $(patsubst %.po,%.mo,$(wildcard portal/translations/*/LC_MESSAGES/messages.po))

portal/translations/%/LC_MESSAGES/messages.mo: portal/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -f -i $< -o $@

database: setup
	@mkdir -p instance
	$(FLASK) db upgrade

# A self-signed development key pair signs published PDFs, unless PORTAL_SIGNING_KEY names a real one;
# a development log key signs the transparency log's checkpoints, unless PORTAL_LOG_KEY names one.
# a local development TSA timestamps them, unless PORTAL_TSA_URL names a real one.
signing-keys: setup
	@if [ -z "$$PORTAL_SIGNING_KEY" ] && [ ! -f instance/signing-key.pem ]; then $(FLASK) portal keys init; fi
	@if [ -z "$$PORTAL_LOG_KEY" ] && [ ! -f instance/log-key.txt ]; then $(FLASK) portal log-key init; fi
	@if [ -z "$$PORTAL_TSA_URL" ] && [ -z "$$PORTAL_TSA_KEY" ] && [ ! -f instance/tsa-key.pem ]; then $(FLASK) portal keys tsa; fi

# Seeding publishes decisions, which are signed: the key pair must exist first.
demo-data: database signing-keys
	$(FLASK) portal seed-demo

# The development server and the job worker (mail, notifications, reminders, digests) together:
# Ctrl-C stops the server, and the worker is stopped with it.
dev-server:
	@echo "Serving the portal at http://127.0.0.1:$(PORT) with its job worker  (Ctrl-C stops both)"
	@$(FLASK) portal worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# As in production: gunicorn (portal/gunicorn_conf.py: workers from the cores with REDIS_URL, one
# without) and the job worker, on PORTAL_BIND (127.0.0.1:8000). Ctrl-C stops both.
serve: setup
	$(FLASK) portal serve

# For the benchmarks only (bench/http.py drives its load with wrk); never needed by the tests.
bench-tools:
	@command -v wrk >/dev/null || ($(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends wrk)

# Maintainers: after adding or changing _() strings, refresh both catalogues, then translate what is new.
messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F portal/translations/babel.cfg -k _l -k lazy_gettext -k pgettext:1c,2 -k lazy_pgettext:1c,2 -o portal/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
