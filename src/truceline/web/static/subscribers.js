// The notifications view: each webhook subscriber's health, backlog and the age of its
// oldest undelivered message, from GET /publication/subscribers (the store, as
// `truceline notify status` reads it).

import { clear, fmtDuration, fmtTime, h } from "./dom.js";

const HEALTH = {
  healthy: "healthy: its last attempt succeeded",
  failing: "failing: its last attempts failed",
  paused: "paused: only a probe a minute",
  disabled: "disabled: an operator must resume it",
};

function age(seconds) {
  return seconds === null || seconds === undefined ? "–" : fmtDuration(seconds * 1000);
}

function lastAttempt(s) {
  if (!s.last_attempt_at) return "none yet";
  const what = s.last_status ? `HTTP ${s.last_status}` : s.last_error || "no answer";
  return `${fmtTime(s.last_attempt_at)}: ${what}`;
}

export function renderSubscribers(body, doc) {
  clear(body);
  for (const s of doc.subscribers) {
    body.append(
      h(
        "tr",
        { dataset: { subscriber: s.id } },
        h("th", { scope: "row" }, s.id),
        h("td", { class: `health health-${s.health}` }, HEALTH[s.health] || s.health, s.reason ? ` (${s.reason})` : ""),
        h("td", { class: "num" }, String(s.backlog)),
        h("td", {}, age(s.oldest_undelivered_age_s), s.oldest_undelivered_at ? ` (queued ${fmtTime(s.oldest_undelivered_at)})` : ""),
        h("td", { class: "num" }, s.log_behind === null || s.log_behind === undefined ? "–" : String(s.log_behind)),
        h("td", { class: "num" }, String(s.delivered)),
        h("td", { class: "num" }, String(s.dead_letters)),
        h("td", {}, lastAttempt(s)),
        h("td", {}, fmtTime(s.next_probe_at || s.next_attempt_at)),
      ),
    );
  }
  if (!doc.subscribers.length) {
    body.append(h("tr", {}, h("td", { colspan: "9" }, "No webhook subscriber has been served yet (HOME/publication.yaml).")));
  }
}
