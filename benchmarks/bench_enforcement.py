"""Enforcement latency: corroborating observation accepted -> countdown entry on the ledger.

One process, one real TileLog (fsynced tiles, SQLite store) in a fresh mission home:

  1. simulate a duel (scaled up) and register its sensors (the real demo steps);
  2. a feeder thread appends the simulator's signed observations at --rate per second
     by group commit (each append takes every observation due, at most --batch; use
     --batch 1000), the background load; "accepted" is the moment the append returns;
  3. the follower loop runs streaming adjudication (fusion + grading + lifecycle,
     appending incident transitions) and then the enforcement appender (fold the new
     entries into its kept state, settle it at `now`, append the transitions not yet
     logged);
  4. for every `countdown_started` entry: latency = when its append returned minus
     when the observation that first made its incident verified was accepted (also
     split at the moment that verified transition was durable). `--appender-thread`
     runs the appender in a thread beside the stream instead of after each pass;
     `--appender-process` runs it in its own process, following the log as another
     reader and writer would (the stream no longer shares the GIL with it).

Each pass's CPU time is reported beside its wall time, and the CPU of the run per
process: on a shared machine the CPU figures are the ones to compare between runs.

Ingest's signature and schema checks are not in the loop (bench_ingest.py measures
them); the observations are appended as the simulator signed them.

    .venv/bin/python benchmarks/bench_enforcement.py [--days 1] [--scale 4] [--rate 1000]

`--mode step` measures the enforcement step alone under the same background load:
a feeder appends synthetic signed observations at --rate per second while the main
loop appends one verified incident transition (as adjudication would) every
--every seconds and runs the appender; latency = transition accepted -> its
countdown entry appended.

    .venv/bin/python benchmarks/bench_enforcement.py --mode step [--seconds 20] [--rate 1000]

`--mode replay` measures the appender alone over a long mission, off the clock: the
duel's observations are appended and adjudicated as fast as they go, then the whole log
(observations and transitions, in order) is replayed into a copy of the home taken
before any of it, `--chunk` incident transitions at a time, with an appender pass after
each at the newest transition's event time. It prints each tenth's CPU per pass: with a
state that grows with the log, the last tenth costs more than the first.

    .venv/bin/python benchmarks/bench_enforcement.py --mode replay --days 90 --scale 5
"""

from __future__ import annotations

import argparse
import gc
import io
import multiprocessing
import resource
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.process import BaseProcess as SpawnProcess
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console

from truceline.adjudication.service import recompute
from truceline.adjudication.stream import StreamAdjudicator
from truceline.adjudication.verdict import seal_transition
from truceline.agreement.load import load_agreement
from truceline.codec.records import open_record
from truceline.enforcement.appender import open_appender
from truceline.enforcement.follow import event_time, follow
from truceline.enforcement.incidents import BREACH_STATES
from truceline.enforcement.records import ENFORCEMENT_TYPE
from truceline.gcpause import freeze_survivors
from truceline.home import Home
from truceline.ingest.formats import split_envelopes
from truceline.ledger.base import Ledger
from truceline.ledger.tilelog import TileLog
from truceline.mission.demo import STEPS, Demo, run


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def step_mode(args: argparse.Namespace) -> None:
    from datetime import UTC, timedelta

    from truceline.adjudication.verdict import INCIDENT_TYPE, IncidentTransition, State
    from truceline.agreement.rules import Grade
    from truceline.codec.keys import generate, key_id
    from truceline.codec.records import seal
    from truceline.observation import OBSERVATION_TYPE, WeaponClass, format_time

    tmp = Path(tempfile.mkdtemp(prefix="bench-enforcement-step-"))
    scenario = tmp / "scenario.yaml"
    scenario.write_text(yaml.safe_dump({"base": "duel", "days": 0.3}))
    d = run(
        Demo(
            home=tmp / "home", days=0.3, scenario=str(scenario), console=Console(file=io.StringIO())
        ),
        [s for s in STEPS if s[0] != "ingest"],
    )
    home = Home(d.home)
    agreement = load_agreement(home.agreement)
    _, ref = recompute(home).view.agreement(agreement)
    parties = [p.id for p in agreement.parties]
    key, keyid, _ = home.signing_key(*agreement.principals.adjudicators)
    ledger = home.ledger()
    start_event = datetime(2026, 6, 1, tzinfo=UTC)
    app = open_appender(home, ledger, start_event, write=True)

    sensor_key = generate()
    skid = key_id(sensor_key.public_key())
    n_obs = int(args.rate * args.seconds)
    t0 = time.perf_counter()
    background = [
        seal(
            OBSERVATION_TYPE,
            {
                "sensor": "bench-radar",
                "seq": i,
                "observed_at": format_time(start_event + timedelta(milliseconds=i)),
                "kind": "impact",
                "geometry": {"type": "Point", "coordinates": [33.3 + i % 97 * 1e-3, 47.5]},
                "uncertainty_m": 150,
                "attributes": {"perception": "recorded", "weapon_class": "artillery"},
            },
            sensor_key,
            skid,
        )
        for i in range(n_obs)
    ]
    print(f"setup: {n_obs} background observations signed in {time.perf_counter() - t0:.1f} s")

    done = threading.Event()

    def feed() -> None:
        begin = time.perf_counter()
        for n in range(0, n_obs, args.batch):
            pause = begin + n / args.rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            ledger.append(background[n : n + args.batch])
        done.set()

    feeder = threading.Thread(target=feed, daemon=True)
    begin = time.perf_counter()
    feeder.start()
    latencies: list[float] = []
    appends: list[float] = []
    k = 0
    while not done.is_set():
        at = start_event + timedelta(seconds=k)
        tr = IncidentTransition(
            incident=f"bench-{k}",
            state=State.verified,
            at=at,
            agreement=ref,
            evidence=[0],
            window=(at, at),
            location=(33.4, 47.6),
            uncertainty_m=50,
            kind="impact",
            weapon_class=WeaponClass.artillery,
            origin=(33.5, 47.54),
            accused=parties[k % 2],
            attribution_confidence=1.0,
            rules=[agreement.prohibited_acts[0].id],
            grade=Grade.confirmed,
        )
        t_append = time.perf_counter()
        ledger.append([seal(INCIDENT_TYPE, tr.model_dump(mode="json"), key, keyid)])
        accepted = time.perf_counter()
        appends.append(accepted - t_append)
        indices = app.run(at)
        appended = time.perf_counter()
        kinds = (
            [open_record(e)[1]["event"] for e in ledger.read(indices[0], indices[-1] + 1)]
            if indices
            else []
        )
        if "countdown_started" in kinds:
            latencies.append(appended - accepted)
        k += 1
        time.sleep(max(0.0, args.every - (time.perf_counter() - accepted)))
    wall = time.perf_counter() - begin
    ledger.close()
    print(
        f"load: {n_obs} observations in {wall:.1f} s ({n_obs / wall:.0f}/s offered at {args.rate:.0f}/s)"
    )
    ms = [x * 1000 for x in latencies]
    print(
        f"countdowns measured: {len(ms)} (of {k} verified transitions; a rung with count 1 opens one each)"
    )
    if ms:
        print(
            f"enforcement step latency ms: p50 {pct(ms, 50):.0f}  p90 {pct(ms, 90):.0f}  "
            f"p99 {pct(ms, 99):.0f}  max {max(ms):.0f}"
        )
    ms = [x * 1000 for x in appends]
    print(
        "for scale, one ledger append of the transition under the same load, ms: "
        f"p50 {pct(ms, 50):.0f}  p99 {pct(ms, 99):.0f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["pipeline", "step", "replay"], default="pipeline")
    ap.add_argument("--chunk", type=int, default=20, help="replay: transitions per pass")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--every", type=float, default=0.1)
    ap.add_argument("--days", type=float, default=1.0)
    ap.add_argument("--scale", type=float, default=4.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument(
        "--appender-process",
        action="store_true",
        help="pipeline: run the appender in its own process following the log",
    )
    ap.add_argument(
        "--gc-freeze",
        action="store_true",
        help="pipeline: freeze what is alive at the start out of the collector's sight (each "
        "process), and in the appender process what survives each pass, as `truceline enforce "
        "--follow` does",
    )
    ap.add_argument(
        "--appender-thread",
        action="store_true",
        help="pipeline: run the appender in a thread beside the stream instead of after it",
    )
    args = ap.parse_args()
    if args.mode == "step":
        step_mode(args)
        return
    if args.mode == "replay":
        replay_mode(args)
        return

    home, envelopes = duel_home(args.days, args.scale)

    agreement = load_agreement(home.agreement)
    _, ref = recompute(home).view.agreement(agreement)
    ledger = home.ledger()
    stream = StreamAdjudicator(agreement, ref)
    key, keyid, _ = home.signing_key(*agreement.principals.adjudicators)
    app = open_appender(home, ledger, datetime.now().astimezone(), write=True)

    accepted: dict[int, float] = {}
    done = threading.Event()

    def feed() -> None:
        feed_at_rate(ledger, envelopes, args.rate, args.batch, accepted, done)

    latencies: list[float] = []
    derive_s: list[float] = []
    derive_cpu: list[float] = []
    derive_at: list[int] = []  # the log size each pass had folded
    follow_s: list[float] = []
    follow_cpu: list[float] = []
    verdict_at: dict[str, float] = {}  # incident -> when its first breach transition was durable
    to_verdict: list[float] = []

    corroborating_of = FirstBreaches(stream).of

    def timed(trigger: str, appended_at: float) -> None:
        corroborating = corroborating_of(trigger)
        if corroborating is not None and corroborating in accepted:
            latencies.append(appended_at - accepted[corroborating])
            to_verdict.append(verdict_at[trigger] - accepted[corroborating])

    def enforce(now_event: datetime) -> None:
        """One appender pass; the countdowns it appended are timed."""
        t, cpu = time.perf_counter(), time.thread_time()
        indices = app.run(now_event)
        appended_at = time.perf_counter()
        derive_s.append(appended_at - t)
        derive_cpu.append(time.thread_time() - cpu)
        derive_at.append(app.cursor)
        for trigger in countdowns(ledger, indices):
            timed(trigger, appended_at)

    newest: list[datetime] = []  # the newest transition's event time, once there is one
    followed_all = threading.Event()

    def enforcer() -> None:
        """--appender-thread: the appender beside the stream, a pass whenever new incident
        transitions are durable (the stream no longer waits for derive)."""
        seen = 0
        while True:
            last = followed_all.is_set()
            n = len(verdict_done)
            if n > seen and newest:
                seen = n
                enforce(newest[-1])
            elif last:
                break
            else:
                time.sleep(0.002)

    verdict_done: list[int] = []  # one item per follow pass that appended transitions
    enforcer_thread = threading.Thread(target=enforcer, daemon=True)
    if args.appender_thread:
        enforcer_thread.start()
    child: SpawnProcess | None = None
    if args.appender_process:
        # Spawned (not forked: this process already runs the log's threads), ready before
        # the load starts, so its start-up is not in the figures.
        ctx = multiprocessing.get_context("spawn")
        ready, followed_all_mp, results = ctx.Event(), ctx.Event(), ctx.Queue()
        child = ctx.Process(
            target=enforcer_process,
            args=(str(home.root), ready, followed_all_mp, results, args.gc_freeze),
        )
        child.start()
        ready.wait()
    pauses = GcPauses(args.gc_freeze)
    rusage = resource.getrusage(resource.RUSAGE_SELF)
    feeder = threading.Thread(target=feed, daemon=True)
    run_start = time.perf_counter()
    feeder.start()
    while True:
        finished = done.is_set()
        t, cpu = time.perf_counter(), time.thread_time()
        before = len(stream.engine.emitted)
        stream.follow(ledger, lambda rec: seal_transition(rec, key, keyid))
        followed = time.perf_counter()
        follow_s.append(followed - t)
        follow_cpu.append(time.thread_time() - cpu)
        for tr in stream.engine.emitted[before:]:
            if tr.state in BREACH_STATES:
                verdict_at.setdefault(tr.incident, followed)
        if len(stream.engine.emitted) > before:
            at = max(tr.at for tr in stream.engine.emitted[before:])
            newest.append(max(newest[-1], at) if newest else at)
            verdict_done.append(len(stream.engine.emitted))
        if not args.appender_thread and not args.appender_process and newest:
            enforce(newest[-1])
        if finished:
            break
        time.sleep(0.002 if args.appender_thread or args.appender_process else 0.005)
    followed_all.set()
    if args.appender_thread:
        enforcer_thread.join()
    child_cpu, child_gc, child_rss = 0.0, "", 0.0
    if child is not None:
        followed_all_mp.set()
        got: ChildReport = results.get()
        child.join()
        for trigger, appended_at in got.countdowns:
            timed(trigger, appended_at)
        derive_s, derive_cpu, child_cpu, child_gc = got.passes, got.cpu, got.total_cpu, got.gc
        child_rss = got.peak_rss_mb
        derive_at = got.at
    wall = time.perf_counter() - run_start
    after = resource.getrusage(resource.RUSAGE_SELF)
    main_cpu = after.ru_utime + after.ru_stime - rusage.ru_utime - rusage.ru_stime
    if isinstance(ledger, TileLog):
        ledger.refresh()  # the appender process's last entries
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
    if to_verdict:
        ms = [x * 1000 for x in to_verdict]
        print(
            f"of which accepted -> verified transition durable ms: p50 {pct(ms, 50):.0f}  "
            f"p99 {pct(ms, 99):.0f}"
        )
    if derive_s:
        ms, cms = [x * 1000 for x in derive_s], [x * 1000 for x in derive_cpu]
        print(
            f"appender pass (fold + settle + append) ms: p50 {pct(ms, 50):.0f}  p99 {pct(ms, 99):.0f}"
            f"  ({len(ms)} passes; CPU p50 {pct(cms, 50):.0f}  p99 {pct(cms, 99):.0f}  "
            f"total {sum(cms) / 1000:.1f} s)"
        )
        print_tenths(derive_at, cms, ledger.size)
    ms, cms = [x * 1000 for x in follow_s], [x * 1000 for x in follow_cpu]
    print(
        f"stream adjudication pass ms: p50 {pct(ms, 50):.0f}  p99 {pct(ms, 99):.0f}  "
        f"total {sum(ms) / 1000:.1f} s  ({len(ms)} passes; CPU of the calling thread "
        f"p50 {pct(cms, 50):.0f}  p99 {pct(cms, 99):.0f}  total {sum(cms) / 1000:.1f} s)"
    )
    print(
        f"CPU during the run: this process {main_cpu:.1f} s"
        + (f", the appender process {child_cpu:.1f} s" if child is not None else "")
    )
    print(
        f"GC{' (start-up frozen)' if args.gc_freeze else ''}: this process {pauses.summary()}"
        + (f"; the appender process {child_gc}" if child is not None else "")
    )
    print(
        f"peak RSS: this process {peak_rss_mb():.0f} MB"
        + (f", the appender process {child_rss:.0f} MB" if child is not None else "")
    )


def duel_home(days: float, scale: float) -> tuple[Home, list[bytes]]:
    """A fresh mission home (the demo's steps but ingest) and the simulator's signed
    observations of a duel of `days` at `scale`, not yet on its log."""
    tmp = Path(tempfile.mkdtemp(prefix="bench-enforcement-"))
    scenario = tmp / "scenario.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "base": "duel",
                "days": days,
                "scale": scale,
                "behaviour": {"phases": [{"days": days, "mode": "duel"}]},
            }
        )
    )
    t0 = time.perf_counter()
    d = run(
        Demo(
            home=tmp / "home",
            days=days,
            scenario=str(scenario),
            console=Console(file=io.StringIO()),
        ),
        [s for s in STEPS if s[0] != "ingest"],
    )
    assert d.sim_dir is not None
    envelopes = split_envelopes((d.sim_dir / "observations.jsonl").read_bytes())
    print(
        f"setup: {len(envelopes)} observations simulated and signed in {time.perf_counter() - t0:.1f} s"
    )
    return Home(d.home), envelopes


class FirstBreaches:
    """incident -> the entry that caused its first breach-state transition (the stream
    records each transition's cause; asking the appender's derived state here would
    cost a derive per pass)."""

    def __init__(self, stream: StreamAdjudicator) -> None:
        self.stream = stream
        self.first: dict[str, int] = {}
        self._scanned = 0

    def of(self, incident: str) -> int | None:
        if incident not in self.first:
            emitted = self.stream.engine.emitted
            for k in range(self._scanned, len(emitted)):
                tr = emitted[k]
                if tr.state in BREACH_STATES and tr.incident not in self.first:
                    self.first[tr.incident] = self.stream.triggers[k]
            self._scanned = len(emitted)
        return self.first.get(incident)


def feed_at_rate(
    ledger: Ledger,
    envelopes: list[bytes],
    rate: float,
    batch: int,
    accepted: dict[int, float],
    done: threading.Event,
) -> None:
    """Append `envelopes` at `rate` per second; `accepted[index]` = when its append returned.

    Group commit, as ingest does: each append takes every observation due by now (at most
    `batch`), so a slow fsync grows the next batch instead of the backlog."""
    start = time.perf_counter()
    n = 0
    while n < len(envelopes):
        due = min(len(envelopes), n + batch)
        due = min(due, max(n + 1, int((time.perf_counter() - start) * rate)))
        idx = ledger.append(envelopes[n:due])
        now = time.perf_counter()
        for i in idx:
            accepted[i] = now
        n = due
        pause = start + n / rate - now
        if pause > 0:
            time.sleep(pause)
    done.set()


class GcPauses:
    """Full (generation 2) collections while the load runs: their count and lengths.

    With `freeze`, everything alive at the start (imported modules, the set-up's
    objects) is moved out of the collector's sight first; the appender process also
    freezes what survives each pass (`gcpause.freeze_survivors`), as `truceline enforce
    --follow` does."""

    def __init__(self, freeze: bool) -> None:
        if freeze:
            freeze_survivors()
        self.pauses: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        elif info["generation"] == 2:
            self.pauses.append(time.perf_counter() - self._start)

    def summary(self) -> str:
        ms = [x * 1000 for x in self.pauses]
        return f"{len(ms)} full collections, longest {max(ms, default=0):.0f} ms, total {sum(ms):.0f} ms"


@dataclass(frozen=True)
class ChildReport:
    countdowns: list[tuple[str, float]]  # (trigger incident, when its entry's append returned)
    passes: list[float]  # wall time of each appender pass that ran
    cpu: list[float]  # CPU time of each
    at: list[int]  # the log size each had folded
    total_cpu: float  # the process's CPU from `ready` to the end
    gc: str  # GcPauses.summary()
    peak_rss_mb: float  # the process's peak resident size


def enforcer_process(
    home_root: str, ready: Any, followed_all: Any, results: Any, freeze: bool
) -> None:
    """--appender-process: the appender in its own process, following the log.

    It opens the home's log itself and runs `enforcement.follow` (a look every 2 ms);
    a pass runs whenever the log grew, at the event time of the newest incident
    transition folded so far (as the in-process modes use the stream's newest).
    `time.perf_counter` is CLOCK_MONOTONIC on Linux, one clock for both processes."""
    home = Home(Path(home_root))
    ledger = home.ledger()
    app = open_appender(home, ledger, datetime.now().astimezone(), write=True)
    app.catch_up()
    report = ChildReport([], [], [], [], 0.0, "", 0.0)
    pauses = GcPauses(freeze)
    start_cpu = time.process_time()
    ready.set()
    began = [0.0, 0.0]  # wall and CPU clocks at the latest look at the log

    def stop() -> bool:
        began[:] = time.perf_counter(), time.process_time()
        return bool(followed_all.is_set())

    newest = event_time(app)

    def timed(indices: list[int]) -> None:
        appended_at = time.perf_counter()
        report.passes.append(appended_at - began[0])
        report.cpu.append(time.process_time() - began[1])
        report.at.append(app.cursor)
        report.countdowns.extend((c, appended_at) for c in countdowns(ledger, indices))
        if freeze:
            freeze_survivors()

    follow(app, ledger, newest, stop, poll_s=0.002, on_pass=timed)
    ledger.close()
    results.put(
        ChildReport(
            report.countdowns,
            report.passes,
            report.cpu,
            report.at,
            time.process_time() - start_cpu,
            pauses.summary(),
            peak_rss_mb(),
        )
    )


def peak_rss_mb() -> float:
    """This process's peak resident size (VmHWM: unlike `ru_maxrss`, not inherited from
    the parent a spawned process was forked from)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def print_tenths(at: list[int], cpu_ms: list[float], size: int) -> None:
    """Median CPU per pass in each tenth of the log (by `at`, the log size each pass had
    folded, of `size`), and the last tenth against the first."""
    tenths: list[list[float]] = [[] for _ in range(10)]
    for position, ms in zip(at, cpu_ms, strict=True):
        tenths[min(9, position * 10 // max(1, size))].append(ms)
    medians = [statistics.median(t) if t else float("nan") for t in tenths]
    print(
        "appender pass CPU ms by tenth of the log (median): "
        + "  ".join(f"{m:.1f}" for m in medians)
        + f"; last/first {medians[-1] / medians[0]:.2f}x"
    )
    # Passes that fold more entries each cost more: the CPU a tenth of the log took in
    # all is the figure that does not depend on how often the passes ran.
    totals = [sum(t) / 1000 for t in tenths]
    print(
        "  in all, s: "
        + "  ".join(f"{x:.1f}" for x in totals)
        + f"; passes: {' '.join(str(len(t)) for t in tenths)}"
    )


def replay_mode(args: argparse.Namespace) -> None:
    from truceline.adjudication.verdict import INCIDENT_TYPE
    from truceline.codec.entries import payload_type

    home, envelopes = duel_home(args.days, args.scale)
    # The same home before any observation: same agreement, principals and keys.
    copy = Home(Path(shutil.copytree(home.root, home.root.with_name("replay-home"))))
    agreement = load_agreement(home.agreement)
    _, ref = recompute(home).view.agreement(agreement)
    ledger = home.ledger()
    start = ledger.size
    stream = StreamAdjudicator(agreement, ref)
    key, keyid, _ = home.signing_key(*agreement.principals.adjudicators)
    t0 = time.perf_counter()
    for n in range(0, len(envelopes), 4096):
        ledger.append(envelopes[n : n + 4096])
        stream.follow(ledger, lambda rec: seal_transition(rec, key, keyid))
    log = [e for _, e in ledger.scan(start)]
    ledger.close()
    emitted = stream.engine.emitted
    print(
        f"log: {len(log)} entries ({len(emitted)} incident transitions) appended and "
        f"adjudicated in {time.perf_counter() - t0:.0f} s"
    )
    replay = copy.ledger()
    app = open_appender(copy, replay, datetime.now().astimezone(), write=True)
    app.catch_up()
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    written = seen = 0
    newest: datetime | None = None
    begin, n = time.perf_counter(), 0
    while n < len(log):
        chunk: list[bytes] = []
        found = 0
        while n < len(log) and found < args.chunk:
            if payload_type(log[n]) == INCIDENT_TYPE:
                at_ = emitted[seen].at
                newest = at_ if newest is None else max(newest, at_)
                seen += 1
                found += 1
            chunk.append(log[n])
            n += 1
        replay.append(chunk)
        if newest is None:
            continue
        t, cpu = time.perf_counter(), time.process_time()
        written += len(app.run(newest))
        cpu_ms.append((time.process_time() - cpu) * 1000)
        wall_ms.append((time.perf_counter() - t) * 1000)
    replay.close()
    print(
        f"replay: {len(cpu_ms)} passes of {args.chunk} transitions in "
        f"{time.perf_counter() - begin:.0f} s; {written} enforcement transitions written; "
        f"pass CPU ms p50 {pct(cpu_ms, 50):.1f}  p99 {pct(cpu_ms, 99):.1f}  total "
        f"{sum(cpu_ms) / 1000:.1f} s; wall p50 {pct(wall_ms, 50):.1f}  p99 {pct(wall_ms, 99):.1f}"
    )
    # Every pass folds `--chunk` transitions: tenths of the passes are tenths of the log.
    print_tenths(list(range(len(cpu_ms))), cpu_ms, len(cpu_ms))


def countdowns(ledger: Ledger, indices: list[int]) -> list[str]:
    """The trigger incident (the last of the case's) of each `countdown_started` entry
    among the appended `indices`."""
    out: list[str] = []
    for entry in ledger.read(indices[0], indices[-1] + 1) if indices else []:
        ptype, obj, _ = open_record(entry)
        if ptype == ENFORCEMENT_TYPE and obj["event"] == "countdown_started":
            out.append(obj["detail"]["incidents"][-1])
    return out


if __name__ == "__main__":
    main()
