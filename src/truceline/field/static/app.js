// The field app: enrol this device, compose a report, sign it here, queue it, send it when
// the server can be reached, and show its receipt from the log.
//
// A report is an observation (src/truceline/observation.py) signed by this device's own
// Ed25519 key as a DSSE envelope: the bytes the server logs are the bytes signed here, so
// the receipt's entry hash is checked against them. Media are named in the signed report by
// SHA-256 and sent after the report is logged; the server stores a file only if its hash is
// the one the logged report names.

import { keyIdOf, sealAct } from "/web/sign.js";
import { b64encode, hex, sha256 } from "/web/verify.js";
import { establish } from "/web/trust.js";
import { verifyIndex } from "/web/verifypanel.js";
import { allReports, getDevice, putDevice, putReport } from "/field/store.js";
import { describeClock, loadClock, measureClock, stamp } from "/field/clock.js";

const OBSERVATION_TYPE = "application/vnd.truceline.observation+json";
const COMPASS = ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];
// Without a distance, a report heard on a bearing lies within this range of the team.
const BEARING_ONLY_RANGE_M = 10000;
const RETRY_MS = 15000;
// How old the clock estimate may be before a send measures it again.
const RESYNC_MS = 10 * 60 * 1000;
const $ = (id) => document.getElementById(id);
const utf8 = new TextEncoder();

let device = null;
let fix = null; // the latest position: {lon, lat, accuracy}
let sending = false;
let syncedAt = null; // performance.now() of the last measurement in this page

/** Measure the device clock against the server's if the estimate is older than RESYNC_MS. */
async function syncClock(force = false) {
  if (!force && syncedAt !== null && performance.now() - syncedAt < RESYNC_MS) return;
  try {
    await measureClock();
    syncedAt = performance.now();
  } catch {
    // offline: the stored estimate stands, its stated accuracy growing with the drift
  }
  say("clock", describeClock());
}

function say(id, text, cls = "") {
  const el = $(id);
  el.textContent = text;
  el.className = cls;
}

function showConnection(text) {
  say("connection", `${navigator.onLine ? "Online" : "Offline"}${text ? `: ${text}` : ""}`);
}

// --- enrolment -------------------------------------------------------------------------

async function enrol(event) {
  event.preventDefault();
  const code = $("enrol-code").value.trim();
  say("enrol-result", "Making this device's key…");
  try {
    const keyPair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", keyPair.publicKey));
    const publicKey = b64encode(raw);
    const response = await fetch("/field/enrol", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ code, public_key: publicKey }),
    });
    const body = await response.json();
    if (!response.ok) {
      say("enrol-result", `Refused: ${body.detail}`, "refused");
      return;
    }
    if (body.keyid !== (await keyIdOf(raw))) throw new Error("the server registered another key id");
    // the log key and witness policy this device will check its receipts against (shared
    // with the map's Trust view: trust on first use, a later change flagged there)
    await establish();
    device = { keyPair, publicKey, sensor: body.sensor, keyid: body.keyid, team: body.team, member: body.member, seq: 0 };
    await putDevice(device);
    await syncClock(true);
    say("enrol-result", `Enrolled as ${body.sensor}: registered at log entry ${body.index}.`, "logged");
    show();
  } catch (err) {
    say("enrol-result", `Could not enrol: ${err.message || err}`, "refused");
  }
}

// --- composing -------------------------------------------------------------------------

function number(id) {
  const text = $(id).value.trim();
  return text === "" ? null : Number(text);
}

function range(prefix) {
  const lo = number(`${prefix}-min`);
  const hi = number(`${prefix}-max`);
  if (lo === null && hi === null) return null;
  return [lo ?? hi, hi ?? lo];
}

function casualties(prefix, source) {
  const killed = range(`${prefix}-killed`);
  const injured = range(`${prefix}-injured`);
  if (!killed && !injured) return null;
  const out = { source };
  if (killed) out.killed = killed;
  if (injured) out.injured = injured;
  return out;
}

function harm() {
  const source = $("harm-source").value;
  const out = {};
  const civilians = casualties("civ", source);
  const combatants = casualties("cmb", source);
  if (civilians) out.civilians = civilians;
  if (combatants) out.combatants = combatants;
  const object = $("damage").value;
  if (object) {
    out.damage = [{ object, count: number("damage-count") || 1, destroyed: $("damage-destroyed").checked, source }];
  }
  return Object.keys(out).length ? out : null;
}

async function readMedia() {
  const out = [];
  for (const file of $("media").files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    out.push({ sha256: hex(await sha256(bytes)), name: file.name, type: file.type, blob: file, result: null });
  }
  return out;
}

function observation(seq, media) {
  const kind = $("kind").value;
  const attributes = { perception: $("perception").value, media_sha256: media.map((m) => m.sha256) };
  if (fix.accuracy !== null) attributes.position_accuracy_m = fix.accuracy;
  if ($("weapon").value) attributes.weapon_class = $("weapon").value;
  const count = number("count");
  if (count && count > 1) attributes.count = count;
  let uncertainty = fix.accuracy ?? 50;
  const direction = $("direction").value;
  if (direction) {
    attributes.bearing_deg = COMPASS.indexOf(direction) * 22.5;
    const band = $("distance").value;
    if (band) {
      attributes.distance_band_m = band.split(",").map(Number);
      uncertainty = attributes.distance_band_m[1];
    } else {
      uncertainty = BEARING_ONLY_RANGE_M;
    }
  }
  if (kind === "inspection_report") {
    attributes.incident = $("incident").value.trim();
    attributes.finding = $("finding").value;
    // counted by `truceline metrics` as an inspection whose access was denied
    if ($("access").value === "denied") attributes.access = "denied";
  }
  const h = harm();
  if (h) attributes.harm = h;
  const { observed_at, clock } = stamp();
  attributes.clock = clock;
  return {
    sensor: device.sensor,
    seq,
    observed_at,
    kind,
    geometry: { type: "Point", coordinates: [fix.lon, fix.lat] },
    uncertainty_m: uncertainty,
    attributes,
  };
}

async function signAndQueue(event) {
  event.preventDefault();
  if (!fix) {
    say("compose-result", "No position yet: allow location, or wait for a fix.", "refused");
    return;
  }
  if ($("kind").value === "inspection_report" && !$("incident").value.trim()) {
    say("compose-result", "An inspection finding names its incident.", "refused");
    return;
  }
  const media = await readMedia();
  device.seq += 1;
  await putDevice(device);
  const payload = observation(device.seq, media);
  const entry = await sealAct(device.keyPair.privateKey, device.keyid, OBSERVATION_TYPE, payload);
  const report = {
    seq: payload.seq,
    kind: payload.kind,
    createdAt: payload.observed_at,
    envelope: new TextDecoder().decode(entry),
    media,
    status: "queued",
    receipt: null,
    reason: null,
  };
  report.id = await putReport(report);
  $("report-form").reset();
  say("compose-result", `Report ${payload.seq} signed and queued.`, "logged");
  await render();
  send();
}

// --- sending ---------------------------------------------------------------------------

async function submitReport(report) {
  const response = await fetch("/observations", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: report.envelope,
  });
  const body = await response.json();
  const result = body.results && body.results[0];
  if (result && result.accepted) {
    const mine = hex(await sha256(utf8.encode(report.envelope)));
    report.status = "logged";
    report.receipt = { index: result.index, entry_sha256: result.entry_sha256, matches: mine === result.entry_sha256, time: result.time || null };
    report.receipt.proof = await checkInclusion(result.index);
  } else {
    report.status = "refused";
    report.reason = result
      ? `${result.reason} (${result.field}): ${result.message}`
      : `HTTP ${response.status}: ${body.detail || "no result"}`;
  }
  await putReport(report);
}

/** The entry's inclusion proof checked in this browser against the pinned log key (and the
 * witnesses' cosignatures, if a policy is pinned): {ok, warned, detail}. */
async function checkInclusion(index) {
  try {
    const report = await verifyIndex(index, null);
    const failed = report.steps.find((s) => !s.ok);
    return { ok: report.ok, warned: Boolean(report.warned), detail: failed ? `${failed.title}: ${failed.detail}` : "" };
  } catch (err) {
    return { ok: false, warned: false, detail: err.message || String(err) };
  }
}

function proofText(proof) {
  if (!proof) return "";
  if (!proof.ok) return `; inclusion proof NOT verified (${proof.detail})`;
  return proof.warned
    ? "; inclusion proof verified against the pinned log key (no witness policy pinned)"
    : "; inclusion proof verified against the pinned log key and its witnesses";
}

async function sendMedia(report, item) {
  const response = await fetch(`/field/media/${item.sha256}?entry=${report.receipt.index}`, {
    method: "PUT",
    headers: { "Content-Type": item.type || "application/octet-stream" },
    body: item.blob,
  });
  const body = await response.json();
  item.result = response.ok
    ? { status: "stored", type: body.type, checks: body.checks }
    : { status: "refused", reason: `${body.code || response.status}: ${body.detail}` };
  await putReport(report);
}

async function send() {
  if (sending || !device) return;
  sending = true;
  try {
    await syncClock();
    for (const report of await allReports()) {
      if (report.status === "queued") await submitReport(report);
      if (report.status !== "logged") continue;
      for (const item of report.media) {
        if (!item.result) await sendMedia(report, item);
      }
    }
    showConnection("everything queued has been sent");
  } catch (err) {
    showConnection(`the server cannot be reached (${err.message || err}); reports stay queued`);
  } finally {
    sending = false;
    await render();
  }
}

// --- showing ---------------------------------------------------------------------------

function li(text, cls = "") {
  const el = document.createElement("li");
  el.textContent = text;
  if (cls) el.className = cls;
  return el;
}

function mediaLine(item) {
  const el = li(`${item.name || "file"} (SHA-256 ${item.sha256.slice(0, 16)}…): `);
  el.dataset.sha256 = item.sha256;
  if (!item.result) {
    el.append("waiting to be sent");
  } else if (item.result.status === "refused") {
    el.dataset.status = "refused";
    el.append(`refused, ${item.result.reason}`);
    el.className = "refused";
  } else {
    el.dataset.status = "stored";
    el.append(`stored (${item.result.type}); checks: `);
    for (const c of item.result.checks) {
      const span = document.createElement("span");
      // a valid C2PA signature by a signer this installation does not trust: neither pass nor flag
      span.className = c.status === "flag" ? "flag" : c.status === "untrusted" ? "caution" : "";
      span.dataset.check = c.check;
      span.dataset.checkStatus = c.status;
      span.title = c.detail;
      span.textContent = `${c.check} ${c.status}; `;
      el.append(span);
    }
  }
  return el;
}

async function render() {
  const reports = await allReports();
  const list = $("reports");
  list.replaceChildren();
  for (const r of reports.slice().reverse()) {
    const item = li(`Report ${r.seq}, ${r.kind.replace(/_/g, " ")}, signed ${r.createdAt}: `);
    item.dataset.seq = String(r.seq);
    item.dataset.status = r.status;
    if (r.status === "queued") item.append("queued");
    if (r.status === "refused") item.append(`refused, ${r.reason}`);
    if (r.status === "logged") {
      const ok = r.receipt.matches ? "the logged entry is the one signed here" : "THE LOGGED ENTRY DIFFERS";
      item.append(`logged at entry ${r.receipt.index}; ${ok}${proofText(r.receipt.proof)}`);
      item.dataset.proof = r.receipt.proof ? String(r.receipt.proof.ok) : "";
      if (r.receipt.time) {
        // the server's check of the report's stated time against its arrival
        const time = document.createElement("span");
        time.className = r.receipt.time.status === "flag" ? "flag" : "";
        time.dataset.check = "clock";
        time.dataset.checkStatus = r.receipt.time.status;
        time.textContent = `; time ${r.receipt.time.status}: ${r.receipt.time.detail}`;
        item.append(time);
      }
    }
    const bad = r.receipt && (!r.receipt.matches || (r.receipt.proof && !r.receipt.proof.ok));
    item.className = r.status === "refused" || bad ? "refused" : r.status;
    if (r.media.length) {
      const sub = document.createElement("ul");
      sub.append(...r.media.map(mediaLine));
      item.append(sub);
    }
    list.append(item);
  }
  $("queue-count").textContent = String(reports.filter((r) => r.status === "queued").length);
}

function show() {
  $("enrol").hidden = Boolean(device);
  $("compose").hidden = !device;
  $("queue").hidden = !device;
  say("device-status", device ? `Device ${device.sensor}, team ${device.team}` : "This device is not enrolled.");
  document.body.dataset.enrolled = String(Boolean(device));
}

function toggleInspection() {
  $("inspection-fields").hidden = $("kind").value !== "inspection_report";
}

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition(
    (p) => {
      fix = { lon: p.coords.longitude, lat: p.coords.latitude, accuracy: Number.isFinite(p.coords.accuracy) ? p.coords.accuracy : null };
      const acc = fix.accuracy === null ? "accuracy unknown" : `±${Math.round(fix.accuracy)} m`;
      say("position", `Position: ${fix.lat.toFixed(5)}, ${fix.lon.toFixed(5)} (${acc})`);
    },
    (err) => say("position", `Position unavailable: ${err.message}`),
    { enableHighAccuracy: true },
  );
}

async function main() {
  for (const point of COMPASS) {
    const opt = document.createElement("option");
    opt.value = point;
    opt.textContent = point;
    $("direction").append(opt);
  }
  $("enrol-form").addEventListener("submit", enrol);
  $("report-form").addEventListener("submit", signAndQueue);
  $("send").addEventListener("click", send);
  $("kind").addEventListener("change", toggleInspection);
  window.addEventListener("online", () => syncClock(true).then(send));
  window.addEventListener("offline", () => showConnection(""));
  toggleInspection();
  device = (await getDevice()) || null;
  await loadClock();
  say("clock", describeClock());
  show();
  showConnection("");
  watchPosition();
  await render();
  if ("serviceWorker" in navigator) {
    await navigator.serviceWorker.register("/field/sw.js", { scope: "/field/" });
    await navigator.serviceWorker.ready;
  }
  document.body.dataset.ready = "true";
  setInterval(send, RETRY_MS);
  send();
}

main();
