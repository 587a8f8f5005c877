"""axe-core finds nothing to fix in any state of the page: before and after a run, with
endpoints unchecked, a field Run would refuse, culprit lanes chosen and run, someone's own
stream, the Runs panel comparing two runs; in the light and the dark scheme, and on a phone.

axe-core comes from npm, pinned and locked in tests/browser/axe (`npm ci --prefix
tests/browser/axe`, as .ci/run does); the test injects it into the real page and runs it there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from tests.browser.conftest import LOOP, VIEWPORT, installed
from tests.browser.dashboard import open_dashboard, run_until_settled

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
NPM_CI = "npm ci --prefix tests/browser/axe"
#: How the page is looked at: its colour scheme and its window.
LOOKS: dict[str, tuple[str, dict[str, int]]] = {
    "light": ("light", VIEWPORT),
    "dark": ("dark", VIEWPORT),
    "phone": ("light", {"width": 390, "height": 844}),
}
#: Small, quick runs: what a run leaves on screen does not depend on how long it took.
QUICK = {"count": 3, "interval": 0.01}
#: Held culprit lanes (gzip, a buffering proxy, a CDN) and the one that streams (gzip-flush).
CULPRITS = "chunked:gzip,chunked:gzip-flush,sse:proxy,json:cdn"
#: Nothing listens on port 1: the lane fails at once, as someone's unreachable stream does.
UNREACHABLE = "http://127.0.0.1:1/x"
#: How many of a rule's failing elements a failure lists.
SHOWN_NODES = 4

KEPT = "(n) => document.querySelectorAll('#runs-rows tr').length === n"

AXE_RUN = """async () => {
    const results = await axe.run(document, { resultTypes: ['violations'] });
    return results.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact,
        help: violation.help,
        nodes: violation.nodes.map((node) => ({ target: node.target.join(' '), summary: node.failureSummary })),
    }));
}"""


async def before_run(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url)


async def after_run(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, **QUICK)
    await run_until_settled(page)


async def endpoints_unchecked(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked,sse")


async def invalid_field(page: Page, base_url: str) -> None:
    """A count Run would refuse, typed after a run: the field's problem, and stale results."""
    await after_run(page, base_url)
    await page.fill('input[name="count"]', "-5")
    await page.wait_for_selector("#count-problem:not([hidden])")
    await page.wait_for_selector("#stale-note:not([hidden])")


#: Long enough (past diagnose's 300 ms) that a held lane is judged and says why.
JUDGED = {"count": 3, "interval": 0.15}
#: The healthy lanes beside the culprits: one of each reader (fetch, EventSource), quick.
BESIDE = "chunked,sse"


async def culprits_chosen(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints=BESIDE, culprits=CULPRITS, **JUDGED)
    # The link opened the panel; a culprit's cause and fix unfolded too.
    await page.click('#culprits[open] details[data-culprit-about="gzip"] > summary')


async def culprits_run(page: Page, base_url: str) -> None:
    await culprits_chosen(page, base_url)
    await run_until_settled(page)
    # The held lanes' causes are on the page: they are checked too.
    await page.wait_for_selector(".why:not([hidden]) .finding")


async def your_stream(page: Page, base_url: str) -> None:
    await open_dashboard(page, base_url, endpoints="chunked", stream=UNREACHABLE, **QUICK)
    await run_until_settled(page)


async def your_hops(page: Page, base_url: str) -> None:
    """Two hops of one stream, both unreachable: their lanes, columns and the comparison line."""
    await open_dashboard(
        page, base_url, endpoints="chunked", stream=[f"origin={UNREACHABLE}", "edge=http://127.0.0.1:2/x"], **QUICK
    )
    await run_until_settled(page)
    await page.wait_for_selector("#hops[data-settled=true]")


async def runs_compared(page: Page, base_url: str) -> None:
    """Two runs kept, compared side by side, B drawn over A on the timeline."""
    await open_dashboard(page, base_url, endpoints="chunked,non-chunked,sse", **QUICK)
    for kept, interval in enumerate(("0.01", "0.02"), start=1):
        await page.fill('input[name="interval"]', interval)
        await run_until_settled(page)
        # A run is listed once it has ended: so the second Run's columns are not the first's.
        await page.wait_for_function(KEPT, arg=kept)
    await page.wait_for_selector("#runs-compare:not([hidden])")
    await page.click("#runs-overlay")
    await page.wait_for_selector("#timeline .ghost-mark", state="attached")


#: Every state, by the name a failure gives it, and how to bring the page there.
STATES: dict[str, Callable[[Page, str], Awaitable[None]]] = {
    "before-run": before_run,
    "after-run": after_run,
    "endpoints-unchecked": endpoints_unchecked,
    "invalid-field": invalid_field,
    "culprits-chosen": culprits_chosen,
    "culprits-run": culprits_run,
    "your-stream": your_stream,
    "your-hops": your_hops,
    "runs-compared": runs_compared,
}


@pytest.fixture(scope="session")
def axe_script() -> Path:
    return installed(AXE, f"axe-core is not installed ({NPM_CI})")


@pytest_asyncio.fixture(loop_scope=LOOP, params=list(LOOKS))
async def looked_at(request: pytest.FixtureRequest, browser: Browser) -> AsyncIterator[Page]:
    """A page in the look's scheme and window, failing its test on any script error.

    Its context bypasses the page's Content-Security-Policy (`script-src 'self'`), for this
    test only: Playwright injects axe-core as an inline script, which the policy refuses.
    The policy itself is tested elsewhere, with every other browser test's checked page.
    """
    scheme, viewport = LOOKS[request.param]
    context = await browser.new_context(viewport=viewport, color_scheme=scheme, bypass_csp=True)  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    await context.close()
    assert not errors, errors


def described(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        nodes = violation["nodes"]
        lines.append(f"{violation['id']} ({violation['impact']}, {len(nodes)} elements): {violation['help']}")
        for node in nodes[:SHOWN_NODES]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


@pytest.mark.parametrize("state", list(STATES))
async def test_axe_finds_no_violations(looked_at: Page, base_url: str, axe_script: Path, state: str) -> None:
    page = looked_at
    await STATES[state](page, base_url)
    await page.add_script_tag(path=axe_script)
    violations = await page.evaluate(AXE_RUN)
    assert not violations, f"axe-core in state {state}:\n{described(violations)}"
