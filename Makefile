# Two commands: `make demo` (set up + analyse the bundled sample into the embedded store)
# and `make test` (set up + the whole test suite, with PostgreSQL and Chromium).
PY ?= python3
PIP = $(PY) -m pip
DB ?= wirewatch-demo.db

.PHONY: setup setup-dev demo test chromium lint

setup:
	$(PIP) install --quiet --no-deps --require-hashes -r requirements-model.txt
	$(PIP) install --quiet -e ".[all]"
	$(PY) -m wirewatch.geo.build

setup-dev: setup
	$(PIP) install --quiet -e ".[dev]"

demo: setup
	$(PY) -m wirewatch demo --db $(DB)

# Chromium for the browser tests (Debian's package; no browser download).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: setup-dev chromium
	eval "$$(bash .ci/postgres.sh)" && $(PY) -m pytest -q -p no:cacheprovider

lint:
	ruff check wirewatch tests bench
