"""What a browser test checks on the page it is on: axe-core's serious and critical violations
(axe-playwright-python, which ships axe-core's ``axe.min.js``: nothing is fetched) and whether the
page scrolls sideways at the viewport's width. Both run in the browser thread (inside
``browser.run(steps)``) and answer plain data; the ``…_report`` functions write it for a failure."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe

# The impacts a page may not have (axe-core's four: minor, moderate, serious, critical).
BLOCKING_IMPACTS = ("serious", "critical")

_AXE = Axe()


def axe_violations(page: Any) -> list[dict]:
    """axe-core's serious and critical violations on ``page`` as it is now: each with its rule
    ``id``, ``impact``, ``help`` (and ``helpUrl``) and its ``nodes``' target selectors."""
    results = _AXE.run(page)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "helpUrl": violation["helpUrl"],
            "targets": [", ".join(map(str, node["target"])) for node in violation["nodes"]],
            "summaries": [node.get("failureSummary", "") for node in violation["nodes"]],
        }
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def axe_report(where: str, violations: list[dict]) -> str:
    """One paragraph a violation: rule, impact, what it asks, then each element it found."""
    lines = [f"{where}: {len(violations)} serious or critical accessibility violations (axe-core)"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for target, summary in zip(violation["targets"], violation["summaries"], strict=True):
            detail = " ".join(summary.split())
            lines.append(f"    {target}" + (f"  [{detail}]" if detail else ""))
    return "\n".join(lines)


# Elements sticking out past the viewport's right edge, furthest first (an element whose children
# stick out as far is left out: the child is the culprit), unless an ancestor clips or scrolls them.
_SIDEWAYS = """() => {
  const width = document.documentElement.clientWidth;
  const describe = (el, withText = true) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    for (const cls of el.classList) name += '.' + cls;
    const testid = el.getAttribute('data-testid');
    if (testid) name += `[data-testid="${testid}"]`;
    const text = withText ? (el.innerText || el.value || '').trim().replace(/\\s+/g, ' ').slice(0, 60) : '';
    return text ? `${name} "${text}"` : name;
  };
  // Whether an ancestor that clips or scrolls sideways holds the element in: for a positioned
  // element only from its containing block up (an absolute box escapes a static scroll box).
  const clipped = (el) => {
    let position = getComputedStyle(el).position;
    if (position === 'fixed') return true;
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (position === 'absolute' && style.position === 'static') continue;
      if (style.overflowX !== 'visible') return true;
      position = style.position;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.right <= width + 0.5 || clipped(el)) continue;
    const child = [...el.children].some((c) => c.getBoundingClientRect().right >= rect.right - 0.5);
    if (!child) wide.push({element: describe(el), right: Math.round(rect.right), width: Math.round(rect.width)});
  }
  wide.sort((a, b) => b.right - a.right);
  // Boxes that scroll sideways inside the page (a wide table in .table-responsive): what they hide
  // is off-screen too. Form fields scroll their own text and are left out.
  const boxes = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName)) continue;
    const overflow = getComputedStyle(el).overflowX;
    if ((overflow === 'auto' || overflow === 'scroll') && el.scrollWidth > el.clientWidth + 1) {
      const inner = el.querySelector('table, pre') || el;
      const holds = describe(inner, false);
      boxes.push({element: describe(el, false), holds: holds, scrollWidth: el.scrollWidth, width: el.clientWidth});
    }
  }
  return {
    viewport: width,
    scrollWidth: document.documentElement.scrollWidth,
    widest: wide.slice(0, 5),
    boxes: boxes,
  };
}"""


def sideways(page: Any) -> dict:
    """How wide ``page`` is against its viewport: ``viewport`` (its width, without a scrollbar),
    ``scrollWidth`` (the document's), the ``widest`` five elements past the right edge, and the
    ``boxes`` in it that scroll sideways themselves (each with what it ``holds``)."""
    return page.evaluate(_SIDEWAYS)


def sideways_report(where: str, measured: dict, *, boxes: bool = False) -> str | None:
    """What scrolls sideways, in words (``boxes``: the boxes inside the page too), or None."""
    lines = []
    if measured["scrollWidth"] > measured["viewport"]:
        lines.append(
            f"{where}: the page scrolls sideways, {measured['scrollWidth']} px wide "
            f"in a {measured['viewport']} px viewport; past the right edge:"
        )
        lines += [f"- {w['element']} (right edge at {w['right']} px, {w['width']} px wide)" for w in measured["widest"]]
    if boxes:
        lines += [
            f"{where}: a box scrolls sideways, {b['scrollWidth']} px of content in {b['width']} px: "
            f"{b['element']} holding {b['holds']}"
            for b in measured["boxes"]
        ]
    return "\n".join(lines) or None
