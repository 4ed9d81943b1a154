"""Benchmark of the dashboard in Debian's chromium: how fast the map is ready, and how fast a
record is verified in the browser.

    .venv/bin/python benchmarks/bench_dashboard.py [--loads 5] [--records 30] [--repeat 200]

1. the witnessed mission the dashboard tests use (a day of the duel scenario, four witnesses;
   tests/web/conftest.py `build_mission`), served by `truceline serve` as its own process;
2. the map, each time in a fresh browser context (nothing cached): navigation to the page
   ready (agreement, incidents, sensors, inspections and the country outline drawn, the
   checkpoint checked against the pinned key and witnesses);
3. Verify on the latest record of incidents, as the button does it (`verifyIndex`: fetch the
   entry and its tlog-proof, run the six checks); the time in the page, network included;
4. the checks alone (`verifyRecord` on bytes already fetched), repeated: records/s, and the
   primitives under them (SHA-256 leaf hashes and Ed25519 verifications through WebCrypto).

The machine is shared: the load average is printed beside each figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))
from tests.web.conftest import CHROMIUM_ARGS, build_mission  # noqa: E402 - the same mission

from served_home import serve_home  # noqa: E402 - the real server as a child process


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def ms(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.0f} ms, min {min(values):.0f}, max {max(values):.0f}"
        f" ({len(values)} runs)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loads", type=int, default=5)
    ap.add_argument("--records", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    t = time.perf_counter()
    mission = build_mission(root)
    print(f"mission built through the CLI, witnessed: {time.perf_counter() - t:.1f} s  {load()}")
    try:
        with serve_home(mission.home, root / "serve.log") as url, sync_playwright() as p:
            incidents = httpx.get(f"{url}/incidents").json()
            print(
                f"{len(incidents)} incidents, log size {httpx.get(f'{url}/log/checkpoint').text.split()[1]}"
            )
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            ready = []
            phases: dict[str, list[float]] = {}
            for _ in range(args.loads):
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = context.new_page()
                t = time.perf_counter()
                page.goto(f"{url}/")
                page.wait_for_selector("body[data-ready=true]", timeout=120_000)
                ready.append((time.perf_counter() - t) * 1000)
                marks = page.evaluate(
                    "performance.getEntriesByType('mark').map(m => [m.name, m.startTime])"
                )
                for name, at in marks:
                    phases.setdefault(name, []).append(at)
                context.close()
            print(f"map ready (fresh context each time): {ms(ready)}  {load()}")
            print(
                "  by then (median ms since navigation): "
                + ", ".join(f"{k} {statistics.median(v):.0f}" for k, v in phases.items())
            )

            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{url}/")
            page.wait_for_selector("body[data-ready=true]", timeout=120_000)
            indices = []
            for inc in incidents[: args.records]:
                history = httpx.get(f"{url}/incidents/{inc['incident']}").json()["transitions"]
                indices.append(history[-1]["ledger_index"])
            timings = page.evaluate(
                """async (indices) => {
                  const m = await import('/web/verifypanel.js');
                  const out = [];
                  for (const i of indices) {
                    const t = performance.now();
                    const r = await m.verifyIndex(i, null);
                    if (!r.ok) throw new Error(`entry ${i} did not verify`);
                    out.push(performance.now() - t);
                  }
                  return out;
                }""",
                indices,
            )
            print(f"Verify, entry and proof fetched and checked: {ms(timings)}  {load()}")
            rates = page.evaluate(
                """async ([index, n]) => {
                  const v = await import('/web/verify.js');
                  const pin = JSON.parse(localStorage.getItem('truceline.trust.v1'));
                  const entry = Uint8Array.from(atob((await (await fetch(`/entries/${index}`)).json()).entry_base64), (c) => c.charCodeAt(0));
                  const proofText = (await (await fetch(`/receipts/${index}`)).json()).proof;
                  let t = performance.now();
                  for (let i = 0; i < n; i++) {
                    const r = await v.verifyRecord({ index, entry, proofText, vkey: pin.vkey, policyText: pin.policy });
                    if (!r.ok) throw new Error('did not verify');
                  }
                  const records = n / ((performance.now() - t) / 1000);
                  t = performance.now();
                  for (let i = 0; i < n * 20; i++) await v.leafHash(entry);
                  const hashes = (n * 20) / ((performance.now() - t) / 1000);
                  const key = await v.parseVkey(pin.vkey);
                  const note = v.parseNote(v.parseProof(proofText).checkpoint);
                  const sig = note.sigs.find((s) => s.name === key.name).sig;
                  t = performance.now();
                  for (let i = 0; i < n * 5; i++) await v.ed25519Verify(key.publicKey, sig, new TextEncoder().encode(note.text));
                  const verifies = (n * 5) / ((performance.now() - t) / 1000);
                  return { records, hashes, verifies };
                }""",
                [indices[0], args.repeat],
            )
            print(
                f"checks alone: {rates['records']:.0f} records/s (6 checks, 4 witnesses each); "
                f"SHA-256 leaf hashes {rates['hashes']:.0f}/s; Ed25519 verifications "
                f"{rates['verifies']:.0f}/s (WebCrypto)  {load()}"
            )
            browser.close()
    finally:
        mission.farm.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
