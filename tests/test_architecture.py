"""The layers contract (docs/architecture.md, "Layers"): a module never imports from a layer above
its own, and ``lint-imports`` (``make lint``) fails the build when one does."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
COMPOSITION_ROOT = {"urls", "api_urls", "views", "celery", "settings", "wsgi", "asgi", "management", "__init__"}


def _contract() -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (contract,) = (c for c in config["contracts"] if c["id"] == "layers")
    return contract


def _modules(layer: str) -> set[str]:
    return {name.strip() for part in layer.split("|") for name in part.split(":")}


def test_every_plumbing_module_is_in_the_bottom_layer_and_every_root_module_in_the_top_one():
    layers = _contract()["layers"]
    top, bottom = _modules(layers[0]), _modules(layers[-1])
    found = {path.stem for path in (ROOT / "kamusm_portal").iterdir() if path.suffix == ".py" or path.is_dir()}
    found -= {"__pycache__", "migrations"}  # migrations, as every app's, import Django alone
    assert bottom == {f"kamusm_portal.{name}" for name in found - COMPOSITION_ROOT}
    assert top == {f"kamusm_portal.{name}" for name in found & COMPOSITION_ROOT - {"__init__"}}


def test_the_apps_are_layered_entitlements_sessions_certificates_then_reports():
    assert _contract()["layers"][1:-1] == ["reports", "certificates", "sessions", "entitlements"]


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own tool on a copy of our own code
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code and its contract, to break."""
    for package in ("kamusm_portal", "entitlements", "sessions", "certificates", "reports"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_the_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("entitlements/selectors.py", "sessions.models"),  # an app importing a higher app
        ("sessions/services/shared.py", "certificates.services"),
        ("kamusm_portal/text.py", "entitlements.models"),  # plumbing importing an app
        ("certificates/tasks.py", "kamusm_portal.celery"),  # an app importing the composition root
        ("certificates/selectors.py", "reports.selectors"),  # an app importing the reports above it
    ],
)
def test_an_upward_import_breaks_the_contract_even_inside_a_function(tree, module, upward):
    with (tree / module).open("a") as source:
        source.write(f"\n\ndef _probe():\n    import {upward}  # noqa: F401\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and upward in result.stdout
