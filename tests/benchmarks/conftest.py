"""benchmarks/ ships with the checkout, not the installed package: import this checkout's copy however
pytest was started. (No __init__.py here: a tests/benchmarks package would hide the real one.)"""
import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[2])
if REPO not in sys.path:
    sys.path.insert(0, REPO)
