# Shanzhi: `make run` serves the demo on SQLite; `make test` runs the whole suite.
PY := .venv/bin/python
STAMP := .venv/.installed

.PHONY: run test up install static lint format messages migrate demo clean bench

$(STAMP): pyproject.toml package.json package-lock.json
	python3 -m venv .venv
	.venv/bin/pip install -q -e ".[dev]"
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

install: $(STAMP)

locale/zh_Hans/LC_MESSAGES/django.mo: $(STAMP) locale/zh_Hans/LC_MESSAGES/django.po
	$(PY) manage.py compile_translations

run: install locale/zh_Hans/LC_MESSAGES/django.mo
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

test: install locale/zh_Hans/LC_MESSAGES/django.mo
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v0
	$(PY) -m pytest -n $${PYTEST_WORKERS:-2}

# The benchmark (docs/performance.md): its own database per scale, made if missing; figures in bench-results.json.
SCALE ?= county
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/bench_$(SCALE)
bench: install locale/zh_Hans/LC_MESSAGES/django.mo
	psql "$(BENCH_DATABASE_URL)" -c "" 2>/dev/null || createdb -h 127.0.0.1 -U postgres "bench_$(SCALE)"
	DATABASE_URL="$(BENCH_DATABASE_URL)" DEBUG=false $(PY) manage.py migrate --noinput -v0
	DATABASE_URL="$(BENCH_DATABASE_URL)" DEBUG=false $(PY) manage.py bench --scale $(SCALE) --port $${BENCH_PORT:-8014}

up: install locale/zh_Hans/LC_MESSAGES/django.mo
	SHANZHI_ENV=production $(PY) manage.py migrate --noinput
	SHANZHI_ENV=production $(PY) manage.py collectstatic --noinput -v0
	SHANZHI_ENV=production .venv/bin/honcho start

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

# Needs GNU gettext (apt-get install gettext): refresh the catalogue after changing strings.
messages:
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=node_modules --ignore=.venv --ignore=staticfiles

clean:
	rm -rf .venv node_modules staticfiles db.sqlite3
