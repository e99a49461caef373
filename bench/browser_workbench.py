"""Submit-to-next-item in the labeler workbench, end to end in Debian's headless Chromium.

python bench/browser_workbench.py [--db sqlite|postgresql] [--world small|demo] [--mode htmx|reload]
    [--submits 40] [--runs 3] [--warmup 5]

`--world small` (the default) is the browser tests' seeded world (a project of plain items, nobody else's
labels); `--world demo` is the product's demo (ConvAbuse: 4,059 items, 11,131 labels), labeled by `annotator1`.

A labeler signs in and labels with the keyboard: press 1 (an answer), then Enter (submit). Each submit is timed
in the page, on the browser's clock, from the Enter key's keydown to the first frame painted after the next
item's text is in the page (a requestAnimationFrame after a new assignment's text arrived, then the task that
follows that frame). The page also records where the time goes: the browser before the request leaves (htmx
collecting the form), the server's answer (request sent to first byte; on loopback nearly all of it is the
server), the download, the swap of the new HTML into the page, and the paint; and `settled`, when htmx's settle
(the new item wired and focused) ended. Prints one JSON object: per run the median and p90 of the end-to-end
times and the median of each part; the median of the runs' medians.

`--mode reload` blocks htmx, so that a submit is the page's fallback without it: the browser posts the form,
follows the 303 to the workbench and loads the whole page (the key's time crosses the navigation through
sessionStorage; the parts come from the navigation's timing entry).

Each sample also carries `outside_ms`, the same submit timed from Python (press to the page reporting it),
which adds the DevTools round trips and polling: a check on the in-page clock, not the figure.

Run it alone on the machine, under `flock /tmp/safetyops-bench.lock`; see docs/benchmarks/web.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script: the repository root goes on the import path, for the helpers in tests/support.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import json
import platform
import statistics
import subprocess
import tempfile
import time
from typing import Any

from tests.support.browser import PASSWORD, VIEWPORT, launch_chromium, login, running_server, seed
from tests.support.databases import fresh_database
from tests.support.loadtest import percentile

from safetyops.db.engine import make_engine
from safetyops.db.migrate import upgrade
from safetyops.demo import DEMO_PASSWORD, load_demo

# Installed before any page script runs (and again on every full page load).
PROBE = r"""
(() => {
  const bench = (window.__bench = { results: [], pending: null });
  // The task shown: its assignment, once its text is in the page (two items may well have the same text).
  const shown = () => {
    const field = document.querySelector("#workbench [name=assignment_id]");
    return field && document.querySelector("#workbench .item-text") ? field.value : null;
  };
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    bench.pending = bench.current = { key: event.timeStamp, before: shown() };
  }, true);
  document.addEventListener("htmx:afterSettle", () => {
    const c = bench.current;
    if (c && c.settled === undefined) c.settled = performance.now() - c.key;
  });
  new MutationObserver(() => {
    const p = bench.pending;
    if (!p || p.dom !== undefined) return;
    const now = shown();
    if (now === null || now === p.before) return;
    p.dom = performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      p.visible = performance.now();
      const entries = performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/submit"));
      const r = entries[entries.length - 1];
      const result = {
        key: p.key,
        total: p.visible - p.key,
        before_request: r ? r.startTime - p.key : null,
        server: r ? r.responseStart - r.requestStart : null,
        download: r ? r.responseEnd - r.responseStart : null,
        swap: r ? p.dom - r.responseEnd : null,
        paint: p.visible - p.dom,
      };
      bench.results.push(result);
      bench.pending = null;
      performance.clearResourceTimings();
    }, 0));
  }).observe(document, { childList: true, subtree: true, characterData: true });
})();
"""

# The reload mode's probe: the key's time (on the clock all documents of the origin share) survives the page load.
RELOAD_PROBE = r"""
(() => {
  const bench = (window.__bench = { results: JSON.parse(sessionStorage.getItem("bench.results") || "[]") });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter") sessionStorage.setItem("bench.key", String(performance.timeOrigin + event.timeStamp));
  }, true);
  document.addEventListener("DOMContentLoaded", () => {
    const key = Number(sessionStorage.getItem("bench.key"));
    if (!key || !document.querySelector("#workbench .item-text")) return;
    sessionStorage.removeItem("bench.key");
    const dom = performance.timeOrigin + performance.now();
    requestAnimationFrame(() => setTimeout(() => {
      const visible = performance.timeOrigin + performance.now();
      const nav = performance.getEntriesByType("navigation")[0];
      const origin = performance.timeOrigin;
      bench.results.push({
        key: key,
        total: visible - key,
        before_request: origin - key,  // the key to the navigation's start (the form's POST leaving)
        redirect: nav.redirectEnd - nav.redirectStart,  // the POST and its 303 (same origin, so timed)
        server: nav.responseStart - nav.requestStart,  // the GET of the workbench
        download: nav.responseEnd - nav.responseStart,
        load: dom - (origin + nav.responseEnd),  // parse, styles and scripts up to DOMContentLoaded
        paint: visible - dom,
      });
      sessionStorage.setItem("bench.results", JSON.stringify(bench.results));
    }, 0));
  });
})();
"""

PARTS = ("before_request", "redirect", "server", "download", "swap", "load", "paint", "settled", "outside_ms")


def machine() -> dict[str, Any]:
    chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return {"cpu": cpu, "cores": len(__import__("os").sched_getaffinity(0)), "chromium": chromium}


def submit_once(page: Any, index: int, mode: str) -> dict[str, Any]:
    page.keyboard.press("1")
    started = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(n) => (window.__bench && window.__bench.results.length > n) || document.querySelector('#empty-heading, "
        ".error-page, #problems')",
        arg=index,
        timeout=30_000,
    )
    outside = (time.perf_counter() - started) * 1000
    stuck = page.locator("#empty-heading, .error-page, #problems")
    if stuck.count():
        raise SystemExit(f"submit {index} did not lead to a next item: the page says {stuck.first.inner_text()!r}")
    if mode == "reload":
        reloaded: dict[str, Any] = page.evaluate("(n) => window.__bench.results[n]", index)
        return {**reloaded, "outside_ms": outside}
    # the focus moves to the new item once htmx has swapped it in: wait for it before the next key
    page.wait_for_function("() => document.activeElement?.id === 'item-heading'", timeout=30_000)
    result: dict[str, Any] = page.evaluate(
        "(n) => ({...window.__bench.results[n], settled: window.__bench.current.settled ?? null})", index
    )
    return {**result, "outside_ms": outside}


def summarize(samples: list[dict[str, Any]]) -> dict[str, Any]:
    totals = [s["total"] for s in samples]
    parts = {
        part: round(statistics.median(v), 1)
        for part in PARTS
        if (v := [s[part] for s in samples if s.get(part) is not None])
    }
    return {
        "submits": len(samples),
        "median_ms": round(statistics.median(totals), 1),
        "p90_ms": percentile(totals, 90),
        "max_ms": round(max(totals), 1),
        "parts_median_ms": parts,
    }


def prepare(url: str, world: str, items: int) -> tuple[str, str, int]:
    """Fill the database; the labeler who will label (username, password) and the project."""
    if world == "small":
        seeded = seed(url, keyboard_items=items)
        return seeded.labelers["keys"], PASSWORD, seeded.projects["keyboard"]
    engine = make_engine(url, pool_size=2)
    upgrade(engine)
    demo = load_demo(engine)
    engine.dispose()
    return "annotator1", DEMO_PASSWORD, int(demo["project_id"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    ap.add_argument("--submits", type=int, default=40, help="timed submits per run")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=5, help="untimed submits first (connections, caches)")
    ap.add_argument("--world", choices=["small", "demo"], default="small")
    ap.add_argument("--mode", choices=["htmx", "reload"], default="htmx")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    items = args.warmup + args.runs * args.submits + 5
    with fresh_database(args.db) as url, tempfile.TemporaryDirectory() as tmp:
        username, password, project_id = prepare(url, args.world, items)
        with running_server(url, str(Path(tmp) / "server.log")) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            context = browser.new_context(viewport=VIEWPORT, base_url=server.base_url)  # type: ignore[arg-type]
            if args.mode == "reload":
                context.route("**/static/htmx.min.js", lambda route: route.abort())
            context.add_init_script(RELOAD_PROBE if args.mode == "reload" else PROBE)
            page = context.new_page()
            login(page, username, password)
            page.goto(f"/work/{project_id}")
            page.wait_for_selector("#workbench .item-text")
            page.evaluate("() => { sessionStorage.clear(); window.__bench.results = []; }")  # the sign-in's Enter
            done = 0
            for _ in range(args.warmup):
                submit_once(page, done, args.mode)
                done += 1
            runs = []
            started = time.time()
            for _ in range(args.runs):
                samples = []
                for _ in range(args.submits):
                    samples.append(submit_once(page, done, args.mode))
                    done += 1
                runs.append(summarize(samples))
            browser.close()
    every = [r["median_ms"] for r in runs]
    print(
        json.dumps(
            {
                "bench": "browser_workbench",
                "db": args.db,
                "world": args.world,
                "mode": args.mode,
                "submits_per_run": args.submits,
                "runs": runs,
                "median_of_run_medians_ms": round(statistics.median(every), 1),
                "seconds": round(time.time() - started, 1),
                "machine": machine(),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
