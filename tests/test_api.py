import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ganvas
from ganvas import api

CLI = Path(ganvas.__file__).parent / "cli"
# What a command may take from elsewhere in ganvas besides the api: its flags' configs, the error type
# it maps to an exit code, constants (UPPER_CASE names) that set its choices, and `__version__`.
PLUMBING = ("config", "errors", "progress", "runtime", "launch")  # launch: how --nproc starts torchrun


def test_every_public_name_is_a_service_reachable_from_the_package():
    for name in api.__all__:
        assert callable(getattr(api, name)), name
        assert getattr(ganvas, name) is getattr(api, name), name


def test_ganvas_report_stays_the_function():
    import ganvas.webpage  # noqa: F401

    assert ganvas.report is api.report


def test_the_evaluate_service_module_does_not_hide_the_function():
    import ganvas.evaluation  # noqa: F401  (importing a submodule sets an attribute on the package)

    assert ganvas.evaluate is api.evaluate


def test_importing_the_api_pays_for_no_service():
    code = "import sys, ganvas.api; sys.exit('torch' in sys.modules or 'matplotlib' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_cli_commands_go_through_the_api():
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level < 2:
                continue  # stdlib, third-party, or the cli's own helpers
            module = node.module or ""
            if module == "api" or module.split(".")[0] in PLUMBING:
                continue
            names = [alias.name for alias in node.names]
            constants = all(name.isupper() or name == "__version__" for name in names)
            assert constants, f"{path.name} imports {names} from ..{module}"
