# The two commands of README: `make demo` and `make test`. Both create .venv when missing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
WV     := $(VENV)/bin/welfare-verify
# one stamp per set of extras: the demo installs the engine alone, the tests add dev, the benchmarks bench
STAMP  := $(VENV)/.installed-engine
DEV_STAMP := $(VENV)/.installed-dev
BENCH_STAMP := $(VENV)/.installed-bench
DEMO_DATA ?= data/demo
DEMO_MONTH ?= 2025-07
DEMO_HOUSEHOLDS ?= 2000

.PHONY: demo test test-fast lint bench bench-link install check-java clean airflow

check-java:
	@command -v java >/dev/null 2>&1 || { echo "Java is missing: Spark needs a Java 17 runtime (Debian: apt-get install openjdk-17-jre-headless)"; exit 1; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	@touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(DEV_STAMP)

$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	@touch $(BENCH_STAMP)

install: $(STAMP)

demo: check-java install
	$(WV) generate --households $(DEMO_HOUSEHOLDS) --data $(DEMO_DATA) --month $(DEMO_MONTH)
	$(WV) run --data $(DEMO_DATA) --month $(DEMO_MONTH)
	$(WV) evaluate --data $(DEMO_DATA) --run $(DEMO_MONTH)-monthly
	$(WV) quarantine --data $(DEMO_DATA) --run $(DEMO_MONTH)-monthly --export $(DEMO_DATA)/runs/$(DEMO_MONTH)-monthly/quarantine_export
	$(WV) whatif --data $(DEMO_DATA) --run $(DEMO_MONTH)-monthly --rules rules/proposals/standard-800-660
	@echo "Data Docs: $(DEMO_DATA)/runs/$(DEMO_MONTH)-monthly/data_docs/index.html"
	@echo "A household's trace: $(WV) explain HOUSEHOLD_ID --data $(DEMO_DATA) --run $(DEMO_MONTH)-monthly (ids in the flags above)"

# Airflow on this machine: `airflow standalone` (scheduler, API server and UI on :8080, SQLite) with
# the project's DAGs and a project-local AIRFLOW_HOME; the DAGs read and write $(DEMO_DATA).
# The Spark stages run on one Spark Connect server (pipelines/jobs/connect_server.py) started first,
# on a free loopback port, and stopped when Airflow ends: on Ctrl-C, a failure or a normal exit.
AIRFLOW_HOME ?= $(CURDIR)/.airflow
AIRFLOW_PORT ?= 8080
CONNECT := $(PY) -m pipelines.jobs.connect_server
airflow: check-java install
	@mkdir -p $(AIRFLOW_HOME) $(DEMO_DATA)
	@set -e; export WV_DATA_DIR=$(abspath $(DEMO_DATA)); \
	trap '$(CONNECT) stop' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	server=$$($(CONNECT) start --shell); eval "$$server"; \
	echo "Spark Connect server: $$WV_SPARK_REMOTE (stopped when Airflow ends)"; \
	AIRFLOW_HOME=$(AIRFLOW_HOME) AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS=admin:admin \
	AIRFLOW__API__PORT=$(AIRFLOW_PORT) AIRFLOW__API__BASE_URL=http://localhost:$(AIRFLOW_PORT) \
	PATH=$(abspath $(VENV))/bin:$$PATH $(VENV)/bin/airflow standalone

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check pipelines tests dags

# Two workers (pytest-xdist): a test waiting on a JVM or a subprocess leaves the other core to the
# other worker; tests sharing an expensive fixture share a worker (tests/conftest.py).
PYTEST_WORKERS ?= 2
test: check-java $(DEV_STAMP) $(BENCH_STAMP) lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: check-java $(DEV_STAMP) $(BENCH_STAMP)
	$(VENV)/bin/pytest -m "not slow" -n $(PYTEST_WORKERS) --dist loadgroup

# Benchmarks: the engine (intake; the monthly run at 60, 2,000, 20,000 and 88,000 households,
# each figure beside its target), the rules against the household facts at 100,000 households,
# then the linker against Splink. Long: hours (the Chongqing month three times).
bench: check-java $(BENCH_STAMP)
	$(PY) -m pipelines.bench
	$(PY) -m pipelines.bench.policy --households 100000 --repeats 3 --out data/bench/policy.json
	$(MAKE) bench-link

# The linker against Splink: FEBRL4 (3 runs each), then a generated roster of ~232,000 people
# × ~2,100,000 bank rows with the plain ID join (the floor).
bench-link: check-java $(BENCH_STAMP)
	$(PY) -m pipelines.linkbench febrl --workdir data/linkbench/febrl4 --repeats 3 --out data/linkbench/febrl.json
	$(PY) -m pipelines.linkbench chongqing --households 88000 --bank-accounts-per-adult 6.0 --data data/linkbench/chongqing --workdir data/linkbench/chongqing-work --out data/linkbench/chongqing.json

clean:
	rm -rf data/demo .pytest_cache
