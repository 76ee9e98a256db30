# Guichet - the two commands of the README, and their parts.
#   make demo   installs what is missing, builds, creates the demo data, starts the server
#   make check  runs every test: format, unit (plain and ASan+UBSan), a short run of each fuzz
#               target, system (pytest: on PostgreSQL, and on SQLite sanitized), and the
#               browser end-to-end tests (tests/e2e,
#               playwright-core driving Debian's chromium)
.POSIX:
.PHONY: all bootstrap vendor build demo check check-format unit unit-asan fuzz-build fuzz-short fuzz fuzz-merge system system-pg system-asan system-pg-asan e2e bench bench-bo bench-bo-pg bench-signin bench-recurring bench-risk bench-notify bench-order-files bench-pg clean

BUILD      = build
BUILD_ASAN = build-asan
BUILD_FUZZ = build-fuzz
DEMO_DB    = demo/guichet.db
LISTEN     = 127.0.0.1:13020
PYTEST     = /usr/bin/python3 -m pytest
# The system tests run in SYSTEM_JOBS processes (pytest-xdist), a test module each at a time
# (each stage prints its 15 slowest tests: what to look at when the run grows):
# each module has its own guichetd, database and port, and mostly waits (on fsync, on the
# hashers, on its clock), so more processes than cores make the suite shorter.
SYSTEM_JOBS = 4
VENDOR     = www/assets/vendor
# The pinned clocks the suites run on (tests/system/conftest.py, tests/e2e/harness.mjs): no
# test depends on the day it runs, and each run lives through other days than today's. A
# Friday in November (a day the demo once came out one transaction short), the spring day
# of summer time (23 hours), a year's last afternoon. `real`: the machine's clock.
SYSTEM_NOW      = 2026-11-20T14:30:00+01:00
SYSTEM_ASAN_NOW = 2027-03-28T12:00:00+02:00
E2E_NOW         = 2026-12-31T16:00:00+01:00
# The fuzz targets (docs/FUZZING.md): make check runs each over its corpus and FUZZ_RUNS runs
# in all, seed 1; make fuzz runs each FUZZ_TIME seconds.
FUZZ_RUNS = 4000
FUZZ_TIME = 600

all: build

bootstrap:
	scripts/bootstrap

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=release -Db_ndebug=false

$(BUILD_ASAN)/build.ninja:
	meson setup $(BUILD_ASAN) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
		-Dfault_injection=true

# The fuzzing build: clang, libFuzzer, ASan + UBSan, the fuzz targets only (tests/fuzz).
$(BUILD_FUZZ)/build.ninja:
	CC=clang meson setup $(BUILD_FUZZ) -Dfuzz=true --buildtype=debugoptimized -Db_ndebug=false \
		-Db_sanitize=address,undefined -Db_lundef=false

# The browser's libraries reach it as local files served by guichetd (www/assets/vendor/, not in
# git), copied from the exact versions of package-lock.json that bootstrap installed.
vendor: bootstrap
	mkdir -p $(VENDOR)
	cp node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css $(VENDOR)/

build: bootstrap vendor $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	scripts/demo $(BUILD)/src/guichetd $(DEMO_DB) $(LISTEN)

# The system suite runs twice: plain on PostgreSQL, sanitized (with storage faults) on SQLite;
# `make system` is the plain run on SQLite.
check: bootstrap check-format unit unit-asan fuzz-short system-pg system-asan system-pg-asan e2e

check-format:
	scripts/check-format

unit: $(BUILD)/build.ninja
	ninja -C $(BUILD)
	meson test -C $(BUILD) --suite unit --print-errorlogs

unit-asan: $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)
	meson test -C $(BUILD_ASAN) --suite unit --print-errorlogs

fuzz-build: $(BUILD_FUZZ)/build.ninja
	ninja -C $(BUILD_FUZZ) fuzz

fuzz-short: fuzz-build
	BUILD_FUZZ=$(BUILD_FUZZ) FUZZ_RUNS=$(FUZZ_RUNS) scripts/fuzz short

# The long runs; their new inputs stay in $(BUILD_FUZZ)/corpus until fuzz-merge keeps the
# ones that add coverage in tests/fuzz/corpus.
fuzz: fuzz-build
	BUILD_FUZZ=$(BUILD_FUZZ) FUZZ_TIME=$(FUZZ_TIME) scripts/fuzz long

fuzz-merge: fuzz-build
	BUILD_FUZZ=$(BUILD_FUZZ) scripts/fuzz merge

# The system tests serve www/ too, its vendored files included.
system: vendor $(BUILD)/build.ninja
	ninja -C $(BUILD)
	GUICHET_TEST_NOW=$(SYSTEM_NOW) GUICHETD=$(BUILD)/src/guichetd \
		GUICHET_CLIENT=$(BUILD)/src/cli/guichet \
		$(PYTEST) -q -n $(SYSTEM_JOBS) --dist loadfile --durations=15 tests/system

# The same system tests on PostgreSQL (GUICHET_TEST_DB=pg): each pytest process starts a
# throwaway cluster and gives each server a database of its own (tests/system/conftest.py).
system-pg: vendor $(BUILD)/build.ninja
	ninja -C $(BUILD)
	GUICHET_TEST_DB=pg GUICHET_TEST_NOW=$(SYSTEM_NOW) GUICHETD=$(BUILD)/src/guichetd \
		GUICHET_CLIENT=$(BUILD)/src/cli/guichet \
		$(PYTEST) -q -n $(SYSTEM_JOBS) --dist loadfile --durations=15 tests/system

# The same system tests against the sanitized server: memory errors fail the run. It is also
# the fault-injection build (meson_options.txt): tests/system/test_faults.py runs there, and
# must (a build-asan/ made before the option gets it here). Its file of payment orders killed
# mid-way has issue 15's 100,000 lines (about 35 s here; 20,000 in the PostgreSQL stage).
system-asan: vendor $(BUILD_ASAN)/build.ninja
	grep -q GUICHET_FAULT_INJECTION $(BUILD_ASAN)/build.ninja || \
		meson configure $(BUILD_ASAN) -Dfault_injection=true
	ninja -C $(BUILD_ASAN)
	GUICHET_FAULTS_REQUIRED=1 GUICHET_TEST_NOW=$(SYSTEM_ASAN_NOW) GUICHET_TEST_ORDER_LINES=100000 \
		GUICHETD=$(BUILD_ASAN)/src/guichetd GUICHET_CLIENT=$(BUILD_ASAN)/src/cli/guichet \
		$(PYTEST) -q -n $(SYSTEM_JOBS) --dist loadfile --durations=15 \
		tests/system

# The PostgreSQL backend's own code sanitized (its statements, pipeline, reconnection, COPY, a
# scan's cursor): the tests that drive it hardest, on PostgreSQL against the sanitized server.
PG_ASAN_TESTS = test_payments.py test_cluster.py test_pg_outage.py test_demo_pg.py test_risk.py \
	test_pg_scan.py
system-pg-asan: vendor $(BUILD_ASAN)/build.ninja
	ninja -C $(BUILD_ASAN)
	GUICHET_TEST_DB=pg GUICHET_TEST_NOW=$(SYSTEM_ASAN_NOW) GUICHETD=$(BUILD_ASAN)/src/guichetd \
		GUICHET_CLIENT=$(BUILD_ASAN)/src/cli/guichet \
		$(PYTEST) -q -n $(SYSTEM_JOBS) --dist loadfile $(addprefix tests/system/,$(PG_ASAN_TESTS))

# The web back office in headless Chromium (Debian's /usr/bin/chromium, never a download):
# a demo database, a server, the sign-in steps; screenshots in test-results/e2e/.
e2e: build
	E2E_NOW=$(E2E_NOW) GUICHETD=$(BUILD)/src/guichetd node tests/e2e/run.mjs

bench: build
	bench/run

# The back office on 10M transactions (docs/PERFORMANCE.md); makes its demos the first time.
# BENCH_STEPS=reports: the electronic reports in each structure and format beside the CSV export.
bench-bo: build
	bench/backoffice.py

# The same on PostgreSQL, beside the same statements in psql: a cluster kept in bench/out/bo-pg
# (tests/system/pgcluster.py), its demos made once as databases and kept with their key.
bench-bo-pg: build
	BENCH_DB=pg bench/backoffice.py

# Searches and merchant reads through a sign-in flood, as a ratio to the same reads alone.
bench-signin: build
	bench/signin_flood.py

# The scheduler's round of 1,000,000 due subscriptions beside the same statements in the
# sqlite3 shell, and payments beside the round (BENCH_SUBSCRIPTIONS=N to scale it down).
bench-recurring: build
	bench/recurring.py

# Files of payment orders (1,000,000 orders) beside payments through the merchant API for as
# long as the files took (BENCH_ORDERS=N to scale it down).
bench-order-files: build
	bench/order_files.py

# What the blocklist (1,000,000 entries) and every fraud filter cost the payments.
bench-risk: build
	bench/risk.py

# 10,000 queued notifications delivered by the notifier to a local nginx, beside a plain
# libcurl loop posting the same bodies (BENCH_NOTIFICATIONS=N to scale it down).
bench-notify: build
	bench/notify.py

# The payments on PostgreSQL (a throwaway cluster, tests/system/pgcluster.py): one server, then
# two on the same database, beside a plain libpq loop writing the same rows (build/pg_insert).
bench-pg: build
	bench/run-pg

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
