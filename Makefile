# The two commands of the README. Each creates the virtual environment it needs.
#   make demo  – the product on embedded defaults (SQLite, jobs in-process, demo register)
#   make test  – the whole test suite (PostgreSQL and Redis on this machine)
PYTHON ?= python3
VENV   := .venv
DSAR   := $(VENV)/bin/dsar
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: demo demo-users test translations venv

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

# The demo register's SQL systems read their database from these: `dsar demo-data` makes
# the two SQLite stores (dsar/demo_stores.py). Vendor systems have no credentials in the
# demo: their tasks fail, saying which variable is missing, and staff see it.
demo: export SEPTEO_PRODUCT_DB_URL ?= sqlite:///$(CURDIR)/instance/demo-product.sqlite3
demo: export SEPTEO_MONITORING_DB_URL ?= sqlite:///$(CURDIR)/instance/demo-monitoring.sqlite3

demo: venv
	$(DSAR) db upgrade
	$(DSAR) register sync
	$(DSAR) demo-data
	@echo "--- demo API tokens (shown once; only their hashes are stored) ---"
	@echo "operator admin:        $$($(DSAR) tokens create --role operator_admin --label demo-operator)"
	@echo "cabinet-martin (FR):   $$($(DSAR) tokens create --role controller_admin --controller cabinet-martin --label demo-martin)"
	@$(MAKE) --no-print-directory demo-users
	@echo "API reference:         http://$(HOST):$(PORT)/api/v1/docs"
	@echo "public request form:   http://$(HOST):$(PORT)/privacy  (no SMTP set: emails are printed below)"
	DSAR_PUBLIC_URL=$${DSAR_PUBLIC_URL:-http://$(HOST):$(PORT)} $(DSAR) run --host $(HOST) --port $(PORT)

# Two staff accounts for the web UI, made once; their passwords are shown only then.
demo-users: venv
	@for who in "operator@dsar.localhost operator_admin" "martin@dsar.localhost controller_admin cabinet-martin"; do \
	    set -- $$who; \
	    if $(DSAR) users list | cut -f1 | grep -qxF "$$1"; then \
	        echo "staff login:           $$1 (made by an earlier 'make demo'; password shown then)"; \
	    else \
	        pw=$$($(VENV)/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))'); \
	        echo "$$pw" | $(DSAR) users create --email $$1 --role $$2 $${3:+--controller $$3} --password-stdin >/dev/null && \
	        echo "staff login:           $$1 / $$pw  ($$2$${3:+ of $$3})"; \
	    fi; \
	done
	@echo "staff web UI:          http://$(HOST):$(PORT)/staff/"

# The suite runs on PostgreSQL (production), then on SQLite (the demo's embedded default).
test: venv
	$(VENV)/bin/pytest
	DSAR_TEST_BACKEND=sqlite $(VENV)/bin/pytest -q -p no:cacheprovider

# After changing a text of the public pages or the subject's emails: collect the messages
# and merge them into the catalogs; translate the new entries in dsar/translations/*/
# LC_MESSAGES/messages.po (drop any "fuzzy" flag), then run it again to compile the .mo.
translations: venv
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o /tmp/dsar-messages.pot .
	$(VENV)/bin/pybabel update -i /tmp/dsar-messages.pot -d dsar/translations --ignore-obsolete -w 100
	$(VENV)/bin/pybabel compile -d dsar/translations
