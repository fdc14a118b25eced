"""Every third-party module the shipped packages import is a declared dependency.

Why: ``pip install .`` installs only ``[project] dependencies``; a module that came into the dev
environment through a dev tool (``jsonschema`` via ``kubernetes-validate``) made an installed
``recqual qualify`` fail three checks with ``ModuleNotFoundError`` on a correct server.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("recqual", "contract", "strategies", "load", "emulator", "specs")
THROUGH = {"gevent": "locust", "allure": "allure-pytest"}
"""Imported directly, installed with the declared dependency named here (its engine, its API)."""


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return {
        re.split(r"[\[<>=!~ ;]", dep, maxsplit=1)[0].lower().replace("_", "-")
        for dep in project["dependencies"]
    }


def _imported() -> set[str]:
    names: set[str] = set()
    for package in SHIPPED:
        for path in (ROOT / package).rglob("*.py"):
            siblings = {p.stem for p in path.parent.glob("*.py")}  # a locustfile's own folder is on sys.path
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names.add(node.module.split(".")[0])
            names -= siblings
    return {n for n in names if n not in sys.stdlib_module_names and n not in SHIPPED and n != "__future__"}


def test_every_third_party_import_is_declared() -> None:
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {}
    for module in sorted(_imported()):
        dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
        if not dists & declared and THROUGH.get(module) not in declared:
            undeclared[module] = sorted(dists)
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"
