"""``make audit``: known vulnerabilities of the pinned packages, and a failure when any was not checked.

pip-audit asks a vulnerability service (PyPI's JSON API unless ``-s osv`` is given) about every
package the requirements resolve to. When the service cannot answer for a package (a package index
mirror that serves no vulnerability data, no network), pip-audit marks it skipped ("Dependency not
found on PyPI and could not be audited") and still says "No known vulnerabilities found" with exit
code 0, having checked nothing. So this runs pip-audit with ``-f json``, reads every dependency of its
report and fails:

- exit 1 when a dependency has vulnerabilities (each named, with the versions that fix it), or when
  any could not be checked (a ``skip_reason``: how many of how many, and which);
- exit 2 when pip-audit gave no report at all (its own error is shown).

Usage: ``python tools/audit.py [REQUIREMENTS ...] [-- PIP_AUDIT_OPTIONS]``; by default
``requirements.txt`` and ``requirements-dev.txt``. ``make audit AUDIT_ARGS="-s osv"`` passes options
on. It needs the vulnerability service over the network, so ``make test`` does not run it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
SHOWN = 12  # names listed in a message before "and N more"


@dataclass
class Verdict:
    """What one pip-audit report says: packages checked, packages not checked (with pip-audit's
    reason) and the vulnerabilities found."""

    checked: list[str] = field(default_factory=list)
    unchecked: list[tuple[str, str]] = field(default_factory=list)
    vulnerable: list[tuple[str, str, list[dict[str, Any]]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.checked) + len(self.unchecked)

    @property
    def passed(self) -> bool:
        return bool(self.checked) and not self.unchecked and not self.vulnerable

    def messages(self) -> list[str]:
        lines = []
        for name, version, vulns in self.vulnerable:
            for vuln in vulns:
                fixes = ", ".join(vuln.get("fix_versions") or []) or "none yet"
                aliases = ", ".join(vuln.get("aliases") or [])
                lines.append(
                    f"VULNERABLE {name} {version}: {vuln.get('id')}"
                    + (f" ({aliases})" if aliases else "")
                    + f"; fixed in: {fixes}"
                )
        if self.unchecked:
            names = [name for name, _reason in self.unchecked]
            listed = ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
            lines.append(
                f"NOT CHECKED: pip-audit could not check {len(self.unchecked)} of {self.total} packages "
                f"(the vulnerability service had nothing on them, e.g. '{self.unchecked[0][1]}'): {listed}. "
                "They were not audited: reach the service (PyPI's JSON API, or "
                'AUDIT_ARGS="-s osv" for api.osv.dev) and run it again.'
            )
        if not self.total:
            lines.append("NOT CHECKED: pip-audit's report lists no package at all.")
        if self.passed:
            lines.append(f"pip-audit checked all {self.total} packages: no known vulnerabilities.")
        elif self.vulnerable:
            count = sum(len(vulns) for _name, _version, vulns in self.vulnerable)
            lines.append(f"{count} known vulnerabilities in {len(self.vulnerable)} packages.")
        return lines


def read_report(report: dict[str, Any]) -> Verdict:
    """A pip-audit ``-f json`` report read: ``{"dependencies": [{"name", "version", "vulns"} or
    {"name", "skip_reason"}], "fixes": [...]}``."""
    verdict = Verdict()
    dependencies = report.get("dependencies")
    if not isinstance(dependencies, list):
        raise ValueError("not a pip-audit JSON report: no list of dependencies")
    for dependency in dependencies:
        name = dependency.get("name", "?")
        if dependency.get("skip_reason") is not None:
            verdict.unchecked.append((name, dependency["skip_reason"]))
            continue
        version = dependency.get("version", "?")
        verdict.checked.append(f"{name} {version}")
        if dependency.get("vulns"):
            verdict.vulnerable.append((name, version, dependency["vulns"]))
    return verdict


def run_pip_audit(requirements: list[str], options: list[str]) -> tuple[dict[str, Any] | None, str]:
    """pip-audit's JSON report on ``requirements`` (``None`` when it wrote none) and its messages."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "-f", "json", "-o", str(output), "--progress-spinner", "off"]
        for requirement in requirements:
            command += ["-r", requirement]
        result = subprocess.run(  # noqa: S603 - our own interpreter and pip-audit
            [*command, *options], capture_output=True, text=True, check=False
        )
        text = output.read_text() if output.exists() else ""
    messages = (result.stderr + result.stdout).strip()
    try:
        return (json.loads(text) if text.strip() else None), messages
    except json.JSONDecodeError:
        return None, messages


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    options: list[str] = []
    if "--" in args:
        options = args[args.index("--") + 1 :]
        args = args[: args.index("--")]
    requirements = args or list(DEFAULT_REQUIREMENTS)
    print(f"pip-audit on {', '.join(requirements)} ...", flush=True)
    report, messages = run_pip_audit(requirements, options)
    if report is None:
        print("pip-audit gave no report:\n" + messages[-3000:], file=sys.stderr)
        return 2
    try:
        verdict = read_report(report)
    except ValueError as exc:
        print(f"pip-audit's report could not be read: {exc}", file=sys.stderr)
        return 2
    for line in verdict.messages():
        print(line, file=sys.stdout if verdict.passed else sys.stderr)
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    sys.exit(main())
