# The README's two commands: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages of the libraries Qt's X11 (xcb) platform plugin loads; a desktop usually has most
# of them, but libxcb-cursor0 is often missing and Qt then refuses to start.
GUI_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xfixes0 libxcb-sync1 libxcb-shm0 libxcb-xkb1 \
	libxkbcommon-x11-0 libx11-xcb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core
# The suite also opens a real window on a virtual X server, and runs jobs on a real Slurm cluster
# (started by scripts/slurm-cluster), also through a private sshd standing in for a login node; the
# report tests read and render the PDFs they write with poppler's pdftotext and pdftoppm; the
# portfolio runs on a real PostgreSQL server too (scripts/postgres-server); the installer test runs
# PyInstaller, which reads libraries with binutils' objdump.
TEST_PACKAGES := $(GUI_PACKAGES) xvfb slurm-wlm munge openssh-client openssh-server poppler-utils postgresql binutils
# The backend plugins are distributions of their own, installed beside the program as a user would.
PLUGINS := plugins/genesis-slurm plugins/genesis-dask
# Two pytest workers: the suite spends much of its time waiting on subprocesses, windows and engines.
# Tests of one engine share a group (xdist_group) and run one after another on the same worker.
# A worker that crashes is not replaced: xdist 3.8 under --dist loadgroup can wait forever for the
# replacement's work (pytest-xdist#1323, #1327), and a crash is a failure to fix, not to retry.
# The whole run is also bounded (40 min, twice its usual length) so that a hang fails CI quickly.
# scripts/run-tests runs the core's tests on SQLite with Qt blocked, then the desktop's and the rest on
# SQLite, then the store, import, review and record-panel tests again on PostgreSQL (--engine postgresql).
PYTEST_WORKERS ?= 2
PYTEST_LIMIT_S ?= 2400
PYTEST_ARGS ?=

# Installs the missing Debian packages among $(1) when run as root; otherwise says which are missing
# and goes on (outside CI the tests that need them then skip, saying why). Not Debian: nothing to do.
define ensure_packages
	@command -v dpkg-query >/dev/null || exit 0; \
	missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing system packages:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "missing system packages; install them with: sudo apt-get install" $$missing; \
	fi
endef

.PHONY: run test venv bench installer clean

run: $(STAMP)
	$(call ensure_packages,$(GUI_PACKAGES))
	$(BIN)/genesis gui

test: $(STAMP)
	$(call ensure_packages,$(TEST_PACKAGES))
	QT_QPA_PLATFORM=offscreen PYTHON=$(abspath $(BIN)/python) scripts/with-test-engines \
		scripts/run-tests $(BIN)/python $(PYTEST_WORKERS) $(PYTEST_LIMIT_S) $(PYTEST_ARGS)

venv: $(STAMP)

$(STAMP): pyproject.toml $(PLUGINS:%=%/pyproject.toml)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python scripts/drop-other-pyside.py
	$(BIN)/python -m pip install --quiet -e '.[test]' $(PLUGINS:%=-e %)
	touch $(STAMP)

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; QT_QPA_PLATFORM=offscreen $(BIN)/python $$b || exit 1; done

# The package for this system into dist/ (installer/README.md): a build environment of its own under
# build/, PyInstaller, the frozen program's self-test, then the tarball, .exe installer or .dmg.
# PyInstaller reads the libraries' dependencies with binutils' objdump.
installer:
	$(call ensure_packages,$(GUI_PACKAGES) binutils)
	QT_QPA_PLATFORM=offscreen $(PYTHON) installer/build.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
