"""Notification latency: the observation that completes a breach accepted -> the countdown's
webhook received by a healthy subscriber, with a dead and a slow subscriber beside it.

The pipeline of `bench_enforcement.py --appender-process`, extended to the receivers:

  1. a duel (scaled up) is simulated and its sensors registered (the demo's steps);
  2. a feeder thread appends the signed observations at --rate per second by group
     commit; "accepted" is the moment the append returns;
  3. streaming adjudication follows the log in this process, the enforcement appender in
     its own process (as `truceline enforce --follow`);
  4. `truceline notify --home H --follow` runs as a subprocess, as in production, with
     the default delivery policy, delivering to three receivers in another process on
     127.0.0.1: `healthy` (answers at once), `dead` (always 500) and `slow` (answers
     after --slow-s seconds);
  5. for each countdown: latency = when `healthy` received its webhook minus when the
     observation that first made its incident verified was accepted. `time.perf_counter`
     is CLOCK_MONOTONIC on Linux: one clock for every process.

    .venv/bin/python benchmarks/bench_notify.py [--days 2] [--scale 5] [--rate 1000]
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_enforcement import (  # noqa: E402 - a sibling script
    ChildReport,
    FirstBreaches,
    duel_home,
    enforcer_process,
    feed_at_rate,
    pct,
)

from truceline.adjudication.service import recompute  # noqa: E402
from truceline.adjudication.stream import StreamAdjudicator  # noqa: E402
from truceline.adjudication.verdict import seal_transition  # noqa: E402
from truceline.agreement.load import load_agreement  # noqa: E402
from truceline.enforcement.incidents import BREACH_STATES  # noqa: E402

SECRET = base64.b64encode(b"bench-notify-secret-0123456789ab").decode()
# What a guarantor would subscribe to (docs/enforcement.md's example): about half of the
# transitions (the other half are mostly routine inspections being scheduled).
GUARANTOR_EVENTS = ("countdown_started", "penalty_in_force", "playbook_step", "playbook_escalated")


def receivers_process(slow_s: float, urls: Any, countdowns: Any, stop: Any, results: Any) -> None:
    """healthy, dead and slow receivers; `countdowns` counts the incidents whose countdown
    webhook the healthy one got (a count of requests would stop the wait early when an
    incident opens two cases); at `stop`, what each got: (event, trigger, t)."""
    got: dict[str, list[tuple[str, str, float]]] = {"healthy": [], "dead": [], "slow": []}
    triggers: set[str] = set()
    lock = threading.Lock()

    def server(name: str, status: int, delay: float) -> ThreadingHTTPServer:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                at = time.perf_counter()
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                trigger = (body.get("detail", {}).get("incidents") or [""])[-1]
                with lock:
                    got[name].append((body["event"], trigger, at))
                if name == "healthy" and body["event"] == "countdown_started":
                    with lock:  # distinct triggers, as `appended` counts them
                        triggers.add(trigger)
                        countdowns.value = len(triggers)
                if delay:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        return srv

    servers = {
        "healthy": server("healthy", 204, 0.0),
        "dead": server("dead", 500, 0.0),
        "slow": server("slow", 204, slow_s),
    }
    urls.put({k: f"http://127.0.0.1:{s.server_address[1]}/hook" for k, s in servers.items()})
    stop.wait()
    with lock:
        results.put(dict(got))


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=float, default=2.0)
    ap.add_argument("--scale", type=float, default=5.0)
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--slow-s", type=float, default=5.0, help="the slow receiver's answer time")
    ap.add_argument("--poll", type=float, default=0.01, help="the notifier's look at the log")
    ap.add_argument(
        "--events",
        default=",".join(GUARANTOR_EVENTS),
        help="the events every subscriber takes, comma-separated, or 'all'",
    )
    ap.add_argument("--profile", default="", help="cProfile the notifier into this file")
    ap.add_argument(
        "--profile-main", default="", help="cProfile this process's load loop into this file"
    )
    ap.add_argument(
        "--healthy-in-flight", type=int, default=1, help="its max_in_flight (1: in order)"
    )
    args = ap.parse_args()

    home, envelopes = duel_home(args.days, args.scale)
    ctx = multiprocessing.get_context("spawn")
    urls_q, rx_stop, rx_results = ctx.Queue(), ctx.Event(), ctx.Queue()
    healthy_countdowns = ctx.Value("i", 0)
    rx = ctx.Process(
        target=receivers_process,
        args=(args.slow_s, urls_q, healthy_countdowns, rx_stop, rx_results),
    )
    rx.start()
    urls = urls_q.get()
    hooks: list[dict[str, Any]] = [
        {"id": k, "url": u, "secret_env": "BENCH_SECRET"} for k, u in urls.items()
    ]
    for hook in hooks:
        if args.events != "all":
            hook["events"] = args.events.split(",")
    hooks[0]["max_in_flight"] = args.healthy_in_flight
    (home.root / "publication.yaml").write_text(yaml.safe_dump({"webhooks": hooks}))

    agreement = load_agreement(home.agreement)
    _, ref = recompute(home).view.agreement(agreement)
    ledger = home.ledger()
    stream = StreamAdjudicator(agreement, ref)
    key, keyid, _ = home.signing_key(*agreement.principals.adjudicators)
    breaches = FirstBreaches(stream)

    # The appender and the notifier in processes of their own, ready before the load.
    ready, followed_all, results = ctx.Event(), ctx.Event(), ctx.Queue()
    child = ctx.Process(
        target=enforcer_process, args=(str(home.root), ready, followed_all, results, True)
    )
    child.start()
    ready.wait()
    notifier = subprocess.Popen(
        [sys.executable]
        + (["-m", "cProfile", "-o", args.profile] if args.profile else [])
        + ["-m", "truceline.cli", "notify", "--home", str(home.root), "--follow"]
        + ["--poll", str(args.poll)],
        env={**os.environ, "BENCH_SECRET": SECRET},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(2.0)  # its start-up (imports, the log, the store) is not in the figures
    notifier_cpu0 = cpu_s(notifier.pid)

    accepted: dict[int, float] = {}
    done = threading.Event()
    feeder = threading.Thread(
        target=feed_at_rate,
        args=(ledger, envelopes, args.rate, args.batch, accepted, done),
        daemon=True,
    )
    profiler = cProfile.Profile() if args.profile_main else None
    if profiler is not None:
        profiler.enable()
    run_start = time.perf_counter()
    feeder.start()
    verdict_at: dict[str, float] = {}  # incident -> when its first breach transition was durable
    while True:
        finished = done.is_set()
        before = len(stream.engine.emitted)
        stream.follow(ledger, lambda rec: seal_transition(rec, key, keyid))
        followed = time.perf_counter()
        for tr in stream.engine.emitted[before:]:
            if tr.state in BREACH_STATES:
                verdict_at.setdefault(tr.incident, followed)
        if finished:
            break
        time.sleep(0.002)
    followed_all.set()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile_main)
    report: ChildReport = results.get()
    child.join()
    wall = time.perf_counter() - run_start
    appended = {trigger: t for trigger, t in report.countdowns}

    # Until the healthy receiver has every countdown (60 s at most); the notifier stops
    # first (the receivers going away would count as failures in its summary).
    deadline = time.perf_counter() + 60
    while healthy_countdowns.value < len(appended) and time.perf_counter() < deadline:
        time.sleep(0.05)
    notifier_cpu = cpu_s(notifier.pid) - notifier_cpu0
    receivers_cpu = cpu_s(rx.pid) if rx.pid else 0.0
    notifier.send_signal(signal.SIGTERM)
    out, err = notifier.communicate(timeout=60)
    rx_stop.set()
    got: dict[str, list[tuple[str, str, float]]] = rx_results.get()
    rx.join()
    ledger.close()

    received = {t: at for ev, t, at in got["healthy"] if ev == "countdown_started"}
    lat, added, verdict = [], [], []
    for trigger, t_appended in appended.items():
        source = breaches.of(trigger)
        if trigger in received and source is not None and source in accepted:
            lat.append((received[trigger] - accepted[source]) * 1000)
            added.append((received[trigger] - t_appended) * 1000)
            verdict.append((verdict_at[trigger] - accepted[source]) * 1000)
    print(
        f"load: {len(envelopes)} observations in {wall:.1f} s ({len(envelopes) / wall:.0f}/s "
        f"offered at {args.rate:.0f}/s); countdowns appended {len(appended)}, received by the "
        f"healthy subscriber {len(received)}"
    )
    if lat:
        print(
            f"accepted -> countdown webhook received (healthy) ms: p50 {pct(lat, 50):.0f}  "
            f"p90 {pct(lat, 90):.0f}  p99 {pct(lat, 99):.0f}  max {max(lat):.0f}  "
            f"mean {statistics.mean(lat):.0f}"
        )
        print(
            f"of which countdown entry appended -> received ms: p50 {pct(added, 50):.0f}  "
            f"p90 {pct(added, 90):.0f}  p99 {pct(added, 99):.0f}  max {max(added):.0f}"
        )
    if lat:
        up = [x - y for x, y in zip(lat, added, strict=True)]
        print(
            f"of which accepted -> countdown entry appended (before the notifier) ms: p50 "
            f"{pct(up, 50):.0f}  p90 {pct(up, 90):.0f}  p99 {pct(up, 99):.0f}  max {max(up):.0f}"
        )
        print(
            f"  of which accepted -> verified transition durable (stream adjudication) ms: p50 "
            f"{pct(verdict, 50):.0f}  p90 {pct(verdict, 90):.0f}  p99 {pct(verdict, 99):.0f}"
        )
    print(
        f"every subscriber takes: {args.events}; the healthy one's max_in_flight "
        f"{args.healthy_in_flight}"
    )
    print(
        "requests: healthy "
        + f"{len(got['healthy'])}, dead {len(got['dead'])} (all 500), slow {len(got['slow'])} "
        + f"({args.slow_s:.0f} s each)"
    )
    print(
        f"CPU during the run: notifier {notifier_cpu:.1f} s (exit {notifier.returncode}); "
        f"the three receivers {receivers_cpu:.1f} s (not there in production)"
    )
    summary = json.loads(out) if out.strip() else {}
    for s in summary.get("subscribers", []):
        print(
            f"  {s['id']:<8} {s['health']:<8} delivered {s['delivered']:>5}  backlog "
            f"{s['backlog']:>5}  oldest undelivered {s['oldest_undelivered_age_s']} s"
            + (f"  last error: {s['last_error'][:80]}" if s["last_error"] else "")
        )
    if notifier.returncode or os.environ.get("BENCH_NOTIFY_LOG"):
        print(err[-4000:])
    print(f"at {datetime.now().astimezone().isoformat(timespec='seconds')}, load {os.getloadavg()}")


if __name__ == "__main__":
    main()
