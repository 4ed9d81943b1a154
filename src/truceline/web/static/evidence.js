// What an observer's report carries besides its kind and place: civilian harm, and media
// named by SHA-256 in the signed report. Each file the server holds is fetched, hashed in
// this browser and compared with the hash in the report, and the server's checks of the
// file's own time and place (EXIF, and a C2PA manifest's signature, signer, time and
// place) against the report are shown, flags included.

import { h } from "./dom.js";
import { hex, sha256 } from "./verify.js";

// A C2PA signature that is valid but by a signer this installation does not trust is shown
// apart from both a pass and a failure.
const STATUS_CLASS = { flag: "flag", untrusted: "caution" };
const CHECK_NAMES = { c2pa: "C2PA manifest", c2pa_time: "C2PA capture time", c2pa_place: "C2PA capture place" };

function span(r) {
  return r ? (r[0] === r[1] ? `${r[0]}` : `${r[0]} to ${r[1]}`) : null;
}

function casualties(label, c) {
  if (!c) return null;
  const parts = [
    c.killed ? `${span(c.killed)} killed` : null,
    c.injured ? `${span(c.injured)} injured` : null,
  ].filter(Boolean);
  return parts.length ? `${label}: ${parts.join(", ")} (source: ${c.source})` : null;
}

export function harmSummary(harm) {
  if (!harm) return null;
  const lines = [casualties("Civilians", harm.civilians), casualties("Combatants", harm.combatants)];
  for (const d of harm.damage || []) {
    lines.push(`Damage: ${d.count} ${d.object}${d.destroyed ? ", destroyed" : ""} (source: ${d.source})`);
  }
  const items = lines.filter(Boolean);
  return items.length ? h("ul", { class: "harm" }, items.map((t) => h("li", {}, t))) : null;
}

async function mediaItem(digest) {
  const short = `${digest.slice(0, 16)}…`;
  const res = await fetch(`/field/media/${digest}/checks`);
  if (res.status === 404) return h("li", { dataset: { sha256: digest } }, `File ${short}: not received by the server`);
  const info = await res.json();
  if (!res.ok) return h("li", { dataset: { sha256: digest } }, `File ${short}: ${info.detail}`);
  const bytes = new Uint8Array(await (await fetch(`/field/media/${digest}`)).arrayBuffer());
  const same = hex(await sha256(bytes)) === digest;
  const src = `/field/media/${digest}`;
  const alt = `evidence file ${short} (${info.type})`;
  let view = null;
  if (info.type.startsWith("image/")) view = h("img", { src, alt, class: "evidence-media" });
  else if (info.type.startsWith("video/")) view = h("video", { src, controls: true, class: "evidence-media", "aria-label": alt });
  else if (info.type.startsWith("audio/")) view = h("audio", { src, controls: true, "aria-label": alt });
  return h(
    "li",
    { dataset: { sha256: digest, hashCheck: same ? "ok" : "flag" } },
    h("p", { class: same ? "" : "flag" }, `File ${short} (${info.type}, ${info.size} bytes): `, same
      ? "its SHA-256, computed in this browser, is the one in the signed report"
      : "ITS SHA-256, COMPUTED IN THIS BROWSER, IS NOT THE ONE IN THE SIGNED REPORT"),
    view,
    h(
      "ul",
      { class: "checks" },
      info.checks
        .filter((c) => c.check !== "sha256")
        .map((c) => h("li", { class: STATUS_CLASS[c.status] || "", dataset: { check: c.check, checkStatus: c.status } }, `${CHECK_NAMES[c.check] || c.check}: ${c.status}, ${c.detail}`)),
    ),
  );
}

/** The device clock a field report states (truceline.field.deviceclock): flagged when it
 * was never checked against the server's, as the server's own clock check flags it. */
export function clockSummary(clock) {
  if (!clock) return null;
  const measured = clock.offset_s !== null && clock.offset_s !== undefined;
  const text = measured
    ? `Time: device clock ${clock.device_time}, offset ${clock.offset_s >= 0 ? "+" : ""}${clock.offset_s} s measured against the server at ${clock.synced_at}, stated accuracy ±${clock.accuracy_s} s`
    : `Time: THE DEVICE CLOCK (${clock.device_time}) WAS NEVER CHECKED AGAINST THE SERVER'S; accuracy unknown`;
  return h("p", { class: measured ? "" : "flag", dataset: { check: "clock", checkStatus: measured ? "ok" : "flag" } }, text);
}

/** Harm, device clock and media of an observation, or null if it carries none. */
export async function reportExtras(obs) {
  const attrs = obs.attributes || {};
  const media = attrs.media_sha256 || [];
  const harm = harmSummary(attrs.harm);
  const clock = clockSummary(attrs.clock);
  if (!harm && !clock && !media.length) return null;
  const items = [];
  for (const digest of media) items.push(await mediaItem(digest));
  return h("div", { class: "report-extras" }, clock, harm, items.length ? h("ul", { class: "media" }, items) : null);
}
