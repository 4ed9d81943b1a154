// The device clock against the server's, the NTP way (docs/field.md, "Time"): read this
// clock, ask the server its time (GET /field/time), read this clock again. The server read
// its clock somewhere in between, so
//
//   offset = server - (t0 + t1) / 2        uncertainty = (t1 - t0) / 2
//
// The round trip is timed with performance.now() (monotonic: a clock set while the request
// is out does not distort it). Of a few samples the one with the shortest round trip is
// kept, and stored in IndexedDB so a report signed offline still states it. Its uncertainty
// grows with the time since the sample: a phone's quartz clock drifts, taken as DRIFT_PPM.
// While the page that measured stays open, the server's time is carried forward on the
// monotonic clock instead, so a device clock set by hand after the measurement (or by the
// network's time zone logic) does not move the reports' time: the offset is re-derived.
//
// Each signed report states (attributes.clock, checked by truceline.field.deviceclock):
//   device_time  this clock when it signed; observed_at = device_time + offset_s
//   offset_s     server - device, seconds; null if never measured
//   accuracy_s   the stated accuracy of observed_at, seconds; null if never measured
//   synced_at    the server's time of the sample

import { formatTime } from "/web/sign.js";
import { getClock, putClock } from "/field/store.js";

export const DRIFT_PPM = 50;
const SAMPLES = 3;

let estimate = null; // {offset_ms, half_rtt_ms, device_ms, server_time}
let inPage = null; // {server_ms, perf_ms}: the server's time at a performance.now() of this page

export async function loadClock() {
  estimate = (await getClock()) || null;
  return estimate;
}

/** One NTP-style sample: {offset_ms, half_rtt_ms, device_ms, server_time}. */
async function sample() {
  const t0 = Date.now();
  const p0 = performance.now();
  const response = await fetch("/field/time", { cache: "no-store" });
  const rtt = performance.now() - p0;
  if (!response.ok) throw new Error(`GET /field/time: HTTP ${response.status}`);
  const body = await response.json();
  return {
    perf_ms: p0 + rtt / 2,
    server_ms: body.unix_ms,
    offset_ms: Math.round(body.unix_ms - (t0 + rtt / 2)),
    half_rtt_ms: rtt / 2,
    device_ms: t0 + rtt,
    server_time: body.server_time,
  };
}

/** Measure the offset now (throws if the server cannot be reached); the new estimate. */
export async function measureClock() {
  let best = null;
  for (let i = 0; i < SAMPLES; i += 1) {
    const s = await sample();
    if (!best || s.half_rtt_ms < best.half_rtt_ms) best = s;
  }
  const { perf_ms, server_ms, ...kept } = best;
  inPage = { perf_ms, server_ms };
  estimate = kept;
  await putClock(kept);
  return kept;
}

/** The offset (ms) at device time `deviceMs`, and the time elapsed since the estimate (ms):
 * by the monotonic clock in the page that measured, else by the device clock. */
function current(deviceMs) {
  if (inPage) {
    const elapsed = performance.now() - inPage.perf_ms;
    return { offset_ms: Math.round(inPage.server_ms + elapsed - deviceMs), elapsed };
  }
  return { offset_ms: estimate.offset_ms, elapsed: Math.abs(deviceMs - estimate.device_ms) };
}

/** The accuracy of the estimate `elapsed` ms after it was made, in seconds. */
function accuracyAfter(elapsed) {
  const drift = (elapsed * DRIFT_PPM) / 1e6;
  // to the millisecond above: the stated accuracy never claims less than was measured
  return Math.ceil(estimate.half_rtt_ms + drift) / 1000;
}

/** {observed_at, clock} for a report signed now. */
export function stamp() {
  const deviceMs = Date.now();
  const deviceTime = formatTime(new Date(deviceMs));
  if (!estimate) {
    const clock = { device_time: deviceTime, offset_s: null, accuracy_s: null, synced_at: null };
    return { observed_at: deviceTime, clock };
  }
  const { offset_ms, elapsed } = current(deviceMs);
  return {
    observed_at: formatTime(new Date(deviceMs + offset_ms)),
    clock: {
      device_time: deviceTime,
      offset_s: offset_ms / 1000,
      accuracy_s: accuracyAfter(elapsed),
      synced_at: estimate.server_time,
    },
  };
}

/** A sentence for the page. */
export function describeClock() {
  if (!estimate) return "Clock: never checked against the server; reports state no accuracy";
  const { offset_ms, elapsed } = current(Date.now());
  const s = offset_ms / 1000;
  const side = s >= 0 ? "behind" : "ahead of";
  return `Clock: this device is ${Math.abs(s).toFixed(3)} s ${side} the server (±${accuracyAfter(elapsed).toFixed(3)} s, checked ${estimate.server_time})`;
}
