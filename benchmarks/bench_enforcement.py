"""Enforcement latency: corroborating observation accepted -> countdown entry on the ledger.

One process, one real TileLog (fsynced tiles, SQLite store) in a fresh mission home:

  1. simulate a duel (scaled up) and register its sensors (the real demo steps);
  2. a feeder thread appends the simulator's signed observations at --rate per second
     (the background load); "accepted" is the moment the append returns;
  3. the follower loop runs streaming adjudication (fusion + grading + lifecycle,
     appending incident transitions) and then the enforcement appender (derive over
     the log, append the transitions not yet logged);
  4. for every `countdown_started` entry: latency = when its append returned minus
     when the observation that first made its incident verified was accepted.

Ingest's signature and schema checks are not in the loop (bench_ingest.py measures
them); the observations are appended as the simulator signed them.

    .venv/bin/python benchmarks/bench_enforcement.py [--days 1] [--scale 4] [--rate 1000]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

import yaml
from rich.console import Console

from truceline.adjudication.home import adjudicator_key, mission_keys, seal_transition
from truceline.adjudication.service import recompute
from truceline.adjudication.stream import StreamAdjudicator
from truceline.agreement.load import load_agreement
from truceline.codec.records import open_record
from truceline.enforcement.home import appender
from truceline.enforcement.incidents import BREACH_STATES
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.ingest.formats import split_envelopes
from truceline.ingest.home import open_ledger
from truceline.mission.demo import STEPS, Demo, run
from truceline.mission.home import Home


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--scale", type=float, default=4.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--batch", type=int, default=50)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-enforcement-"))
    scenario = tmp / "scenario.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "base": "duel",
                "days": args.days,
                "scale": args.scale,
                "behaviour": {"phases": [{"days": args.days, "mode": "duel"}]},
            }
        )
    )
    t0 = time.perf_counter()
    d = run(
        Demo(
            home=tmp / "home",
            days=args.days,
            scenario=str(scenario),
            console=Console(file=io.StringIO()),
        ),
        [s for s in STEPS if s[0] != "ingest"],
    )
    home = Home(d.home)
    assert d.sim_dir is not None
    envelopes = split_envelopes((d.sim_dir / "observations.jsonl").read_bytes())
    print(
        f"setup: {len(envelopes)} observations simulated and signed in {time.perf_counter() - t0:.1f} s"
    )

    agreement = load_agreement(home.agreement)
    _, ref = recompute(home).view.agreement(agreement)
    ledger = open_ledger(home)
    stream = StreamAdjudicator(agreement, ref, mission_keys(home, agreement))
    key, keyid = adjudicator_key(home)
    app = appender(home, ledger, datetime.now().astimezone())

    accepted: dict[int, float] = {}
    done = threading.Event()

    def feed() -> None:
        start = time.perf_counter()
        for n in range(0, len(envelopes), args.batch):
            due = start + n / args.rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            batch = envelopes[n : n + args.batch]
            idx = ledger.append(batch)
            now = time.perf_counter()
            for i in idx:
                accepted[i] = now
        done.set()

    latencies: list[float] = []
    derive_s: list[float] = []
    feeder = threading.Thread(target=feed, daemon=True)
    run_start = time.perf_counter()
    feeder.start()
    now_event = None
    while True:
        finished = done.is_set()
        stream.follow(ledger, lambda rec: seal_transition(rec, key, keyid))
        if stream.engine.emitted:
            now_event = max(now_event or stream.engine.emitted[-1].at, stream.engine.emitted[-1].at)
        if now_event is not None:
            t = time.perf_counter()
            indices = app.run(now_event)
            appended_at = time.perf_counter()
            derive_s.append(appended_at - t)
            entries = ledger.read(indices[0], indices[-1] + 1) if indices else []
            state = None
            for entry in entries:
                ptype, obj, _ = open_record(entry)
                if ptype != ENFORCEMENT_TYPE or obj["event"] != "countdown_started":
                    continue
                state = state or app.state(now_event)
                trigger = obj["detail"]["incidents"][-1]
                first = next(
                    tr
                    for _, tr in state.incidents[trigger].transitions
                    if tr.state in BREACH_STATES
                )
                corroborating = max(first.evidence)
                if corroborating in accepted:
                    latencies.append(appended_at - accepted[corroborating])
        if finished:
            break
        time.sleep(0.005)
    wall = time.perf_counter() - run_start
    ledger.close()

    print(
        f"load: {len(envelopes)} observations in {wall:.1f} s of wall time "
        f"({len(envelopes) / wall:.0f}/s offered at {args.rate:.0f}/s), ledger size {ledger.size}"
    )
    print(
        f"incident transitions: {len(stream.engine.emitted)}; countdowns measured: {len(latencies)}"
    )
    if latencies:
        ms = [x * 1000 for x in latencies]
        print(
            f"latency ms: p50 {pct(ms, 50):.0f}  p90 {pct(ms, 90):.0f}  p99 {pct(ms, 99):.0f}  "
            f"max {max(ms):.0f}  mean {statistics.mean(ms):.0f}"
        )
    if derive_s:
        ms = [x * 1000 for x in derive_s]
        print(f"appender pass (derive + append) ms: p50 {pct(ms, 50):.0f}  p99 {pct(ms, 99):.0f}")


if __name__ == "__main__":
    main()
