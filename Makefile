# The two commands: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
WANGGE := $(BIN)/wangge
HOST ?= 127.0.0.1
PORT ?= 8000
FRESH ?=
PYTEST_ARGS ?=

.PHONY: demo test install browser lint format messages makemessages lock bench clean

demo: install
	$(WANGGE) migrate --no-input
	$(WANGGE) demo $(if $(FRESH),--fresh) --host $(HOST) --port $(PORT)

test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed node_modules/.installed var/field.key messages

# The browser tests drive Debian's Chromium (Playwright's own download is not
# used: towns run closed networks). Installed when missing and we may.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "Chromium is needed for the browser tests: sudo apt-get install chromium fonts-noto-cjk"; exit 1; \
	  fi; }

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

var/field.key: | $(VENV)/.installed
	$(BIN)/python -m wangge.keys var

# Compiled catalogues (.mo) are built, never committed.
messages: $(VENV)/.installed
	cd wangge && ../$(WANGGE) compilemessages --verbosity 0

# Apps with their own catalogue (wangge/<app>/locale) keep their strings there;
# the project catalogue (wangge/locale) has the rest.
OWN_CATALOGUE_APPS = $(patsubst wangge/%/locale,%,$(wildcard wangge/*/locale))
MAKEMESSAGES = makemessages --locale zh_Hans --no-obsolete --no-location
makemessages: $(VENV)/.installed
	cd wangge && ../$(WANGGE) $(MAKEMESSAGES) $(foreach app,$(OWN_CATALOGUE_APPS),--ignore '$(app)/*')
	for app in $(OWN_CATALOGUE_APPS); do \
	  (cd wangge/$$app && ../../$(WANGGE) $(MAKEMESSAGES)) || exit 1; done

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-pin every Python dependency after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > requirements.lock

bench: install
	$(BIN)/python bench/locator.py
	$(BIN)/python bench/demo_build.py

clean:
	rm -rf $(VENV) node_modules var/static
