"""``make audit`` (tools/audit.py) reads pip-audit's JSON report and fails when a package could not be
checked or has a known vulnerability (issue 12, finding 8: pip-audit said "No known vulnerabilities
found" having checked none of 145 packages).

The samples in ``audit_samples/``: ``skipped.json`` is pip-audit 2.10.1's report on this project's
requirements as it was captured here (the reachable index serves no vulnerability data: every
package skipped, exit code 0); ``vulnerable.json`` and ``clean.json`` are what pip-audit 2.10.1's
own JSON formatter writes for a report with one advisory (a sample, not a real one) and for a clean
one, as a test below checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version
from pip_audit._format.json import JsonFormat
from pip_audit._service.interface import ResolvedDependency, SkippedDependency, VulnerabilityResult

from tools import audit

SAMPLES = Path(__file__).resolve().parent / "audit_samples"
BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _sample(name: str) -> dict:
    return json.loads((SAMPLES / f"{name}.json").read_text())


def test_a_report_where_every_package_was_skipped_fails_and_says_how_many():
    verdict = audit.read_report(_sample("skipped"))

    assert not verdict.passed
    assert (len(verdict.checked), len(verdict.unchecked), verdict.total) == (0, 145, 145)
    (message,) = verdict.messages()
    assert message.startswith("NOT CHECKED: pip-audit could not check 145 of 145 packages")
    assert "django, djangorestframework" in message
    assert "and 133 more" in message


def test_one_package_not_checked_among_checked_ones_fails():
    report = _sample("clean")
    reason = "Dependency not found on PyPI and could not be audited: weasyprint (70.0)"
    report["dependencies"].append({"name": "weasyprint", "skip_reason": reason})

    verdict = audit.read_report(report)

    assert not verdict.passed
    assert verdict.unchecked == [("weasyprint", reason)]
    assert "could not check 1 of 4 packages" in verdict.messages()[0]


def test_a_report_with_a_vulnerability_fails_naming_it_and_its_fix():
    verdict = audit.read_report(_sample("vulnerable"))

    assert not verdict.passed
    assert [(name, version) for name, version, _vulns in verdict.vulnerable] == [("django", "5.2.19")]
    messages = verdict.messages()
    assert messages[0] == "VULNERABLE django 5.2.19: PYSEC-2099-1 (CVE-2099-0001); fixed in: 5.2.20"
    assert messages[-1] == "1 known vulnerabilities in 1 packages."


def test_a_clean_report_passes():
    verdict = audit.read_report(_sample("clean"))

    assert verdict.passed
    assert verdict.checked == ["django 5.2.19", "celery 5.7.0", "weasyprint 70.0"]
    assert verdict.messages() == ["pip-audit checked all 3 packages: no known vulnerabilities."]


def test_an_empty_report_is_no_audit():
    verdict = audit.read_report({"dependencies": [], "fixes": []})

    assert not verdict.passed
    assert verdict.messages() == ["NOT CHECKED: pip-audit's report lists no package at all."]


def test_something_that_is_not_a_report_is_refused():
    with pytest.raises(ValueError, match="not a pip-audit JSON report"):
        audit.read_report({"vulnerabilities": []})


def _formatted(dependencies: dict) -> dict:
    return json.loads(JsonFormat(output_desc=True, output_aliases=True).format(dependencies, []))


def test_the_samples_are_pip_audit_s_own_json():
    django, celery, weasyprint = (
        ResolvedDependency(name="Django", version=Version("5.2.19")),
        ResolvedDependency(name="celery", version=Version("5.7.0")),
        ResolvedDependency(name="WeasyPrint", version=Version("70.0")),
    )
    advisory = VulnerabilityResult(
        id="PYSEC-2099-1",
        description="A sample advisory for the audit's tests, not a real one.",
        fix_versions=[Version("5.2.20")],
        aliases={"CVE-2099-0001"},
    )

    assert _formatted({django: [], celery: [], weasyprint: []}) == _sample("clean")
    assert _formatted({django: [advisory], celery: [], weasyprint: []}) == _sample("vulnerable")
    skipped = _sample("skipped")["dependencies"][0]
    assert _formatted({SkippedDependency(name="Django", skip_reason=skipped["skip_reason"]): []}) == {
        "dependencies": [skipped],
        "fixes": [],
    }


@pytest.mark.parametrize(("sample", "code"), [("skipped", 1), ("vulnerable", 1), ("clean", 0)])
def test_the_command_s_exit_code_follows_the_report(monkeypatch, capsys, sample, code):
    calls = []

    def pip_audit(requirements, options):  # pip-audit itself needs the vulnerability service
        calls.append((requirements, options))
        return _sample(sample), "No known vulnerabilities found"

    monkeypatch.setattr(audit, "run_pip_audit", pip_audit)

    assert audit.main(["requirements.txt", "--", "-s", "osv"]) == code
    assert calls == [(["requirements.txt"], ["-s", "osv"])]


def test_the_command_fails_apart_when_pip_audit_gives_no_report(monkeypatch, capsys):
    monkeypatch.setattr(audit, "run_pip_audit", lambda requirements, options: (None, "ConnectionError: api.osv.dev"))

    assert audit.main([]) == 2
    assert "pip-audit gave no report:\nConnectionError: api.osv.dev" in capsys.readouterr().err


def test_pip_audit_runs_on_both_requirement_files_by_default_and_its_error_shows_when_it_gives_no_report():
    # pip-audit's own command line, with an option it refuses: no report, its error shown (no network).
    result = subprocess.run(
        [sys.executable, "tools/audit.py", "--", "--no-such-option"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 2
    assert "pip-audit on requirements.txt, requirements-dev.txt" in result.stdout
    assert "unrecognized arguments: --no-such-option" in result.stderr
