// The dashboard: views over the public routes of this server, refreshed every few seconds.
//
//   #/                  the map, its filters and time slider, and the same incidents as a table
//   #/incident/<id>     an incident: its transitions, evidence, the cases citing it; Verify
//   #/penalties         penalty cases with their countdowns
//   #/penalty/<case>    a case: its transitions and votes with their ledger indices; Verify
//   #/inspections       inspections
//   #/metrics           breaches per party per day, verified against reported (metricsview.js)
//   #/notifications     webhook subscribers' health and backlog (subscribers.js)
//   #/party             a party's incidents and steps, with Dispute and Acknowledge (party.js)
//   #/trust             the pinned log key and witness policy (trust.js)

import { reportExtras } from "./evidence.js";
import { $, clear, decodeBase64, fmtDuration, fmtTime, getJSON, getText, h, rerender } from "./dom.js";
import { GRADES, MissionMap, STATES, corridorWindow } from "./map.js";
import { metricsRange, renderMetrics } from "./metricsview.js";
import { PartyView } from "./party.js";
import { renderSubscribers } from "./subscribers.js";
import * as trust from "./trust.js";
import { openNote, parseCheckpoint, parsePolicy, parseVkey, secureContext, verifyPolicy } from "./verify.js";
import { logged, resultRegion, verifyButton } from "./verifypanel.js";

const REFRESH_MS = 15000;
const SLIDER_STEP_MS = 10 * 60 * 1000;
const MAX_ROWS = 1000;
const MAX_EVIDENCE = 50;

const data = {
  agreement: null,
  agreementInfo: null,
  incidents: [],
  sensors: [],
  penalties: [],
  penaltiesNow: null,
  inspections: [],
  playbooks: [],
};
let missionMap = null;
let lastShown = null; // what the map and table show now (applyFilters)
let partyView = null;
let firstRoute = true;

// --- loading ----------------------------------------------------------------------------------

async function loadAgreement() {
  data.agreementInfo = await getJSON("/agreement");
  data.agreement = data.agreementInfo.agreement;
  $("#agreement-title").textContent = `${data.agreement.title} (v${data.agreement.version})`;
  document.title = `Truceline: ${data.agreement.title}`;
}

// Each source is fetched when a view first needs it, then refreshed with the others: the
// enforcement routes derive their state from the whole log on every request.
const SOURCES = {
  incidents: ["/incidents", (v) => (data.incidents = v)],
  sensors: ["/sensors", (v) => (data.sensors = v)],
  inspections: ["/enforcement/inspections", (v) => (data.inspections = v.inspections)],
  penalties: ["/enforcement/penalties", (v) => ((data.penalties = v.penalties), (data.penaltiesNow = v.now))],
  playbooks: ["/enforcement/playbooks", (v) => (data.playbooks = v.steps)],
};
const loaded = new Set();

/** Fetch `names` (all loaded ones when refreshing); a source that fails keeps what it had. */
async function load(names, { again = false } = {}) {
  const problems = [];
  await Promise.all(
    names
      .filter((name) => again || !loaded.has(name))
      .map(async (name) => {
        const [url, keep] = SOURCES[name];
        try {
          keep(await getJSON(url));
          loaded.add(name);
        } catch (err) {
          problems.push(`${name}: ${err.message}`);
        }
      }),
  );
  say(problems.length ? `Some data could not be read: ${problems.join("; ")}` : "");
}

function say(message) {
  const el = $("#load-problems");
  el.hidden = !message;
  el.textContent = message;
}

// --- the map view -----------------------------------------------------------------------------

const filters = { party: "", rule: "", grades: new Set(GRADES.map(([g]) => g)), states: new Set(STATES), until: Infinity, span: 0 };

function timeRange() {
  const starts = data.incidents.map((i) => Date.parse(i.window[0]));
  const ends = data.incidents.map((i) => Date.parse(i.window[1]));
  if (!starts.length) return [0, 0];
  return [Math.floor(Math.min(...starts) / SLIDER_STEP_MS), Math.ceil(Math.max(...ends) / SLIDER_STEP_MS)];
}

function setupFilters() {
  const party = $("#f-party");
  for (const s of data.agreement.signatories.filter((x) => x.role === "party")) {
    party.append(h("option", { value: s.id }, `${s.name} (${s.id})`));
  }
  const rule = $("#f-rule");
  for (const act of data.agreement.prohibited_acts) {
    rule.append(h("option", { value: act.id }, `${act.id}: ${act.description || act.act}`));
  }
  for (const [set, fieldset, values] of [
    [filters.grades, $("#f-grade"), GRADES.map(([g, , label]) => [g, label])],
    [filters.states, $("#f-state"), STATES.map((s) => [s, s[0].toUpperCase() + s.slice(1)])],
  ]) {
    for (const [value, label] of values) {
      const id = `f-${fieldset.id.slice(2)}-${value}`;
      const box = h("input", { type: "checkbox", id, value, checked: true });
      box.addEventListener("change", () => {
        if (box.checked) set.add(value);
        else set.delete(value);
        applyFilters();
      });
      fieldset.append(h("div", { class: "check" }, box, h("label", { for: id }, label)));
    }
  }
  party.addEventListener("change", () => ((filters.party = party.value), applyFilters()));
  rule.addEventListener("change", () => ((filters.rule = rule.value), applyFilters()));
  const slider = $("#f-time");
  slider.addEventListener("input", () => ((filters.until = Number(slider.value) * SLIDER_STEP_MS), applyFilters()));
  const span = $("#f-span");
  span.addEventListener("change", () => ((filters.span = Number(span.value) * 1000), applyFilters()));
  $("#filters").addEventListener("reset", () =>
    setTimeout(() => {
      filters.party = "";
      filters.rule = "";
      filters.span = 0;
      GRADES.forEach(([g]) => filters.grades.add(g)); // the same sets: the boxes hold them
      STATES.forEach((st) => filters.states.add(st));
      slider.value = slider.max;
      filters.until = Infinity;
      applyFilters();
    }),
  );
  $("#filters").addEventListener("submit", (e) => e.preventDefault());
  updateSlider();
}

/** Fit the slider to the incidents' times; a slider at its end stays at the (new) end. */
function updateSlider() {
  const slider = $("#f-time");
  const atEnd = filters.until === Infinity;
  const [min, max] = timeRange();
  slider.min = String(min);
  slider.max = String(max);
  slider.defaultValue = String(max);
  if (atEnd) slider.value = String(max);
}

function matches(inc) {
  if (filters.party === "-" ? inc.accused : filters.party && inc.accused !== filters.party) return false;
  if (filters.rule && !inc.rules.includes(filters.rule)) return false;
  if (!filters.grades.has(inc.grade) || !filters.states.has(inc.state)) return false;
  const first = Date.parse(inc.window[0]);
  const last = Date.parse(inc.window[1]);
  if (first > filters.until) return false;
  return !(filters.span && filters.until !== Infinity && last < filters.until - filters.span);
}

function applyFilters() {
  const slider = $("#f-time");
  const until = filters.until === Infinity ? Number(slider.max) * SLIDER_STEP_MS : filters.until;
  const label = data.incidents.length ? `up to ${fmtTime(until)}` : "no incidents yet";
  $("#f-time-out").textContent = label;
  slider.setAttribute("aria-valuetext", label);
  const shown = data.incidents.filter(matches);
  // A refresh that changes nothing redraws nothing (the live count would be re-announced).
  const signature = JSON.stringify([data.incidents.length, shown]);
  if (signature === lastShown) return;
  lastShown = signature;
  missionMap.drawIncidents(shown);
  $("#map-count").textContent = `Showing ${shown.length} of ${data.incidents.length} incidents.`;
  const body = $("#incident-table tbody");
  rerender(body, () => incidentRows(body, shown));
  $("#incident-caption").textContent =
    shown.length > MAX_ROWS
      ? `The first ${MAX_ROWS} of ${shown.length} incidents matching the filters, in order of first evidence (UTC)`
      : "Incidents matching the filters, in order of first evidence (UTC)";
}

function incidentRows(body, shown) {
  clear(body);
  for (const inc of shown.slice(0, MAX_ROWS)) {
    body.append(
      h(
        "tr",
        { dataset: { incident: inc.incident } },
        h("th", { scope: "row" }, h("a", { href: `#/incident/${encodeURIComponent(inc.incident)}` }, inc.incident)),
        h("td", {}, fmtTime(inc.window[0])),
        h("td", {}, inc.state),
        h("td", {}, h("span", { class: `badge grade-${inc.grade}` }, inc.grade)),
        h("td", {}, inc.accused || "not attributed"),
        h("td", {}, inc.rules.join(", ") || "–"),
        h("td", {}, inc.kind.replaceAll("_", " ")),
        h("td", {}, inc.location.map((x) => x.toFixed(4)).join(", ")),
      ),
    );
  }
}

// --- one incident -----------------------------------------------------------------------------

function ruleText(id) {
  const act = data.agreement.prohibited_acts.find((a) => a.id === id);
  return act ? `${id} (${act.description || act.act})` : id;
}

function dl(pairs) {
  return h("dl", { class: "facts" }, pairs.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v ?? "–")]));
}

async function showIncident(id) {
  const body = clear($("#incident-body"));
  $("#incident-heading").textContent = `Incident ${id}`;
  let got;
  try {
    got = await getJSON(`/incidents/${encodeURIComponent(id)}`);
  } catch (err) {
    body.append(h("p", { role: "alert" }, err.message));
    return;
  }
  const history = got.transitions;
  const latest = history[history.length - 1];
  const result = resultRegion("Verification result");
  body.append(
    h("h2", {}, "Now"),
    dl([
      ["State", latest.state],
      ["Evidence grade", latest.grade],
      ["Accused", latest.accused || "not attributed"],
      ["Attribution confidence", latest.attribution_confidence.toFixed(2)],
      ["Rules breached", latest.rules.map(ruleText).join("; ") || "none"],
      ["Kind", `${latest.kind.replaceAll("_", " ")}${latest.weapon_class ? `, ${latest.weapon_class}` : ""}`],
      ["Location (lon, lat)", `${latest.location.join(", ")} (± ${latest.uncertainty_m} m)`],
      ["Point of origin", latest.origin ? latest.origin.join(", ") : "unknown"],
      ["Evidence window", `${fmtTime(latest.window[0])} to ${fmtTime(latest.window[1])}`],
      ["Reason", latest.reason || "–"],
      ["Agreement", `${latest.agreement.id} v${latest.agreement.version}`],
      ["Latest record", `ledger entry ${latest.ledger_index}`],
    ]),
    h("p", {}, verifyButton(latest.ledger_index, `incident ${id}`, logged(latest), result)),
    result,
  );
  const rows = history.map((t) =>
    h(
      "tr",
      { dataset: { index: t.ledger_index } },
      h("th", { scope: "row" }, String(t.ledger_index)),
      h("td", {}, t.state),
      h("td", {}, t.grade),
      h("td", {}, fmtTime(t.at)),
      h("td", {}, t.reason || "–"),
      h("td", {}, verifyButton(t.ledger_index, `the ${t.state} transition of ${id}`, logged(t), result)),
    ),
  );
  body.append(
    ...headedTable("history-heading", "History", "Each transition the adjudicator logged, in log order", [
      "Ledger entry",
      "State",
      "Grade",
      "At (event time)",
      "Reason",
      "Check",
    ], rows),
  );
  const evidence = latest.evidence;
  const list = h("ul", { class: "evidence" });
  const loadButton = h("button", { type: "button" }, `Show the ${Math.min(evidence.length, MAX_EVIDENCE)} evidence records`);
  loadButton.addEventListener("click", async () => {
    loadButton.disabled = true;
    clear(list);
    // all at once, in order: a reader (or a test) never sees a half-filled list
    list.append(...(await Promise.all(evidence.slice(0, MAX_EVIDENCE).map((index) => evidenceItem(index, result)))));
    list.querySelector("button")?.focus();
  });
  body.append(
    h("h2", {}, "Evidence"),
    h("p", {}, `Ledger entries: ${evidence.join(", ")}. `, loadButton),
    list,
  );
  await load(["penalties"]);
  const cases = data.penalties.filter((p) => p.incidents.includes(id));
  body.append(h("h2", {}, "Penalty cases citing it"));
  if (!cases.length) body.append(h("p", { id: "citing" }, "No penalty case cites this incident."));
  else {
    body.append(
      h(
        "ul",
        { id: "citing" },
        cases.map((c) =>
          h(
            "li",
            {},
            h("a", { href: `#/penalty/${encodeURIComponent(c.case)}` }, c.case),
            `: ${c.penalty} against ${c.accused}, ${c.status}; votes: `,
            Object.entries(c.votes).map(([who, choice]) => `${who} ${choice}`).join(", ") || "none",
          ),
        ),
      ),
    );
  }
}

async function evidenceItem(index, result) {
  try {
    const got = await getJSON(`/entries/${index}`);
    const env = JSON.parse(new TextDecoder().decode(decodeBase64(got.entry_base64)));
    const obs = JSON.parse(new TextDecoder().decode(decodeBase64(env.payload)));
    const what = obs.sensor
      ? `${obs.sensor}: ${String(obs.kind).replaceAll("_", " ")} observed ${fmtTime(obs.observed_at)}`
      : `${env.payloadType} by ${obs.party || obs.by || "?"}`;
    const extras = obs.sensor ? await reportExtras(obs) : null;
    return h("li", {}, `Entry ${index}, ${what} `, verifyButton(index, `evidence entry ${index}`, null, result), extras);
  } catch (err) {
    return h("li", {}, `Entry ${index}: ${err.message}`);
  }
}

// --- penalties ------------------------------------------------------------------------------------

function nextDeadline(p) {
  const now = Date.now();
  const named = [
    ["vote deadline", p.vote_deadline],
    ["in force", p.effective_at],
    ["lapses", p.lapses_at],
  ].filter(([, t]) => t && Date.parse(t) > now);
  return named[0] || null;
}

async function showPenalties() {
  await load(["penalties"]);
  $("#penalties-now").textContent = `As derived from the log at ${fmtTime(data.penaltiesNow)}.`;
  const body = $("#penalty-table tbody");
  rerender(body, () => penaltyRows(body));
}

function penaltyRows(body) {
  clear(body);
  for (const p of data.penalties) {
    const next = nextDeadline(p);
    body.append(
      h(
        "tr",
        { dataset: { case: p.case } },
        h("th", { scope: "row" }, h("a", { href: `#/penalty/${encodeURIComponent(p.case)}` }, p.case)),
        h("td", {}, p.accused),
        h("td", {}, `${p.penalty} (${p.rung})`),
        h("td", {}, p.status.replaceAll("_", " ")),
        h("td", {}, p.incidents.map((i, n) => [n ? ", " : "", h("a", { href: `#/incident/${encodeURIComponent(i)}` }, i)])),
        h("td", {}, next ? `${next[0]}: ${fmtTime(next[1])}` : "none ahead"),
        h("td", { class: "countdown", dataset: { deadline: next ? next[1] : "" } }, next ? fmtDuration(Date.parse(next[1]) - Date.now()) : "–"),
        h("td", {}, Object.entries(p.votes).map(([who, c]) => `${who}: ${c}`).join(", ") || "none"),
      ),
    );
  }
  if (!data.penalties.length) body.append(h("tr", {}, h("td", { colspan: "8" }, "No penalty case.")));
}

function tickCountdowns() {
  for (const cell of document.querySelectorAll("[data-deadline]")) {
    if (cell.dataset.deadline) cell.textContent = fmtDuration(Date.parse(cell.dataset.deadline) - Date.now());
  }
}

async function showPenalty(id) {
  const body = clear($("#penalty-body"));
  $("#penalty-heading").textContent = `Penalty case ${id}`;
  let p;
  try {
    p = await getJSON(`/enforcement/penalties/${encodeURIComponent(id)}`);
  } catch (err) {
    body.append(h("p", { role: "alert" }, err.message));
    return;
  }
  const next = nextDeadline(p);
  const result = resultRegion("Verification result");
  body.append(
    dl([
      ["Accused", p.accused],
      ["Penalty", `${p.penalty} (rung ${p.rung})`],
      ["Status", `${p.status.replaceAll("_", " ")}${p.reason ? ` (${p.reason})` : ""}`],
      ["Opened", fmtTime(p.opened_at)],
      ["Countdown from", fmtTime(p.countdown_from)],
      ["Vote deadline", fmtTime(p.vote_deadline)],
      ["In force from", fmtTime(p.effective_at)],
      ["Lapses", fmtTime(p.lapses_at)],
      ["Next deadline", next ? h("span", {}, `${next[0]} in `, h("span", { class: "countdown-inline", dataset: { deadline: next[1] } }, fmtDuration(Date.parse(next[1]) - Date.now()))) : "none ahead"],
      ["Incidents", h("span", {}, p.incidents.map((i, n) => [n ? ", " : "", h("a", { href: `#/incident/${encodeURIComponent(i)}` }, i)]))],
    ]),
  );
  const last = p.transitions[p.transitions.length - 1];
  if (last) body.append(h("p", {}, verifyButton(last.ledger_index, `case ${id}'s latest transition`, logged(last), result)));
  body.append(result);
  const records = [...p.transitions.map((t) => ["transition", t]), ...p.vote_records.map((v) => ["vote", v])]
    .sort((a, b) => a[1].ledger_index - b[1].ledger_index)
    .map(([kind, r]) =>
      h(
        "tr",
        { dataset: { index: r.ledger_index } },
        h("th", { scope: "row" }, String(r.ledger_index)),
        h("td", {}, kind === "vote" ? `vote by ${r.voter}: ${r.choice}` : r.event.replaceAll("_", " ")),
        h("td", {}, fmtTime(kind === "vote" ? r.cast_at : r.at)),
        h("td", {}, kind === "vote" ? (r.ignored ? `not counted: ${r.ignored}` : "counted") : JSON.stringify(r.detail)),
        h("td", {}, verifyButton(r.ledger_index, `${kind} ${r.ledger_index} of case ${id}`, logged(r, "ignored"), result)),
      ),
    );
  body.append(
    ...headedTable(
      "case-log-heading",
      "On the log",
      "The enforcement transitions of this case and the votes cast on it, in log order",
      ["Ledger entry", "Record", "At", "Detail", "Check"],
      records,
    ),
  );
}

/** A heading and a scrollable, labelled table under it: [h2, region]. */
function headedTable(id, heading, caption, columns, rows) {
  return [
    h("h2", { id }, heading),
    h(
      "div",
      { class: "table-wrap", role: "region", "aria-labelledby": id, tabindex: "0" },
      h(
        "table",
        {},
        h("caption", {}, caption),
        h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, rows),
      ),
    ),
  ];
}

// --- inspections ----------------------------------------------------------------------------------

function showInspections() {
  const body = $("#inspection-table tbody");
  rerender(body, () => inspectionRows(body));
}

function inspectionRows(body) {
  clear(body);
  for (const i of data.inspections) {
    body.append(
      h(
        "tr",
        { dataset: { inspection: i.id } },
        h("th", { scope: "row" }, i.id),
        h("td", {}, i.origin),
        h("td", {}, i.status),
        h("td", {}, fmtTime(i.opened_at)),
        h("td", {}, fmtTime(i.due_by)),
        h("td", {}, i.zone || "–"),
        h("td", {}, i.incident ? h("a", { href: `#/incident/${encodeURIComponent(i.incident)}` }, i.incident) : "–"),
        h("td", {}, i.team || "unassigned"),
        h("td", {}, i.finding ? `${i.finding} (entry ${i.report})` : "–"),
      ),
    );
  }
  if (!data.inspections.length) body.append(h("tr", {}, h("td", { colspan: "9" }, "No inspection.")));
}

// --- metrics and notifications ---------------------------------------------------------------------

async function showMetrics() {
  const status = $("#metrics-status");
  const [from, to] = metricsRange(data.incidents);
  status.textContent = `Computing the metrics from ${from} to ${to} from the log…`;
  try {
    renderMetrics($("#metrics-body"), await getJSON(`/metrics?from=${from}&to=${to}&by=day`));
    status.textContent = "";
  } catch (err) {
    status.textContent = `The metrics could not be read: ${err.message}`;
  }
}

async function showNotifications() {
  const body = $("#subscriber-table tbody");
  try {
    const doc = await getJSON("/publication/subscribers");
    $("#subscribers-now").textContent = `As of ${fmtTime(doc.now)}.`;
    rerender(body, () => renderSubscribers(body, doc));
  } catch (err) {
    $("#subscribers-now").textContent = `The subscribers could not be read: ${err.message}`;
  }
}

// --- trust ------------------------------------------------------------------------------------------

let trustState = null;

async function establishTrust() {
  const alert = $("#trust-alert");
  const notice = $("#trust-notice");
  if (!secureContext()) {
    alert.hidden = false;
    alert.textContent =
      "This page is not served over HTTPS or from localhost: the browser gives it no WebCrypto, so Verify and signing cannot work here.";
    return;
  }
  try {
    trustState = await trust.establish();
  } catch (err) {
    alert.hidden = false;
    alert.textContent = `Could not establish what to trust: ${err.message}`;
    return;
  }
  if (trustState.changed.length) {
    alert.hidden = false;
    alert.textContent =
      `Warning: the ${trustState.changed.join(" and the ")} this server publishes now differ from the ones you pinned ` +
      `on ${fmtTime(trustState.pin.pinnedAt)}. Verification keeps using the pinned ones; see the Trust view.`;
  } else alert.hidden = true;
  if (trustState.firstUse) {
    notice.hidden = false;
    notice.textContent =
      "First visit: this page pinned the log key and witness policy this server publishes (trust on first use). " +
      "Compare them with the mission's published ones in the Trust view.";
  }
  renderTrust();
}

function renderTrust() {
  const body = clear($("#trust-body"));
  if (!trustState) return;
  const { pin, served } = trustState;
  const same = (a, b) => (a || null) === (b || null);
  body.append(
    h("h2", {}, "Pinned"),
    dl([
      ["Log key", h("code", { id: "pinned-vkey" }, pin.vkey)],
      ["Witness policy", pin.policy ? h("pre", { id: "pinned-policy" }, pin.policy) : "none: only the log key vouches for checkpoints"],
      ["Where from", pin.source],
      ["Pinned", fmtTime(pin.pinnedAt)],
    ]),
    h("h2", {}, "Served by this server now"),
    dl([
      ["Log key", h("span", {}, h("code", {}, served.vkey), same(served.vkey, pin.vkey) ? " (the pinned one)" : h("strong", { class: "changed" }, " DIFFERS from the pinned key"))],
      ["Witness policy", h("span", {}, served.policy ? h("pre", {}, served.policy) : "none", same(served.policy, pin.policy) ? " (the pinned one)" : h("strong", { class: "changed" }, " DIFFERS from the pinned policy"))],
    ]),
  );
  if (!same(served.vkey, pin.vkey) || !same(served.policy, pin.policy)) {
    const confirm = h("input", { type: "checkbox", id: "repin-confirm" });
    const button = h("button", { type: "button", id: "repin", disabled: true }, "Pin what this server serves now");
    confirm.addEventListener("change", () => (button.disabled = !confirm.checked));
    button.addEventListener("click", async () => {
      await trust.pin(served.vkey, served.policy, `pinned by hand from ${location.origin}/log/vkey and /log/policy`);
      await establishTrust();
    });
    body.append(
      h("div", { class: "check" }, confirm, h("label", { for: "repin-confirm" }, "I checked the new key and policy against the mission's published ones")),
      button,
    );
  }
  $("#trust-vkey").value = pin.vkey;
  $("#trust-policy").value = pin.policy || "";
}

function setupTrustForm() {
  $("#trust-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const status = $("#trust-form-status");
    try {
      await trust.pin($("#trust-vkey").value, $("#trust-policy").value, "entered by hand");
      status.textContent = "Pinned.";
      await establishTrust();
    } catch (err) {
      status.textContent = `Not pinned: ${err.message}`;
    }
  });
}

/** The header line: the latest checkpoint, checked with the pinned key and policy. */
async function checkpointStatus() {
  const line = $("#checkpoint-status");
  const pin = trust.loadPin();
  if (!pin || !secureContext()) return;
  try {
    const signed = new TextEncoder().encode(await getText("/log/checkpoint"));
    const key = await parseVkey(pin.vkey);
    const cp = parseCheckpoint((await openNote(signed, [key])).text);
    let witnesses = "no witness policy pinned";
    if (pin.policy) {
      const got = await verifyPolicy(await parsePolicy(pin.policy), signed, key.name);
      witnesses = `cosigned by ${got.cosigned.size} witnesses (quorum met)`;
    }
    line.textContent = `Log ${cp.origin}: ${cp.size} entries; checkpoint signed by the pinned key, ${witnesses}.`;
    line.classList.remove("bad");
  } catch (err) {
    line.textContent = `The log's latest checkpoint does not verify: ${err.message}`;
    line.classList.add("bad");
  }
}

// --- routing ------------------------------------------------------------------------------------------

function route() {
  const hash = location.hash || "#/";
  const [, name = "", arg = ""] = /^#\/([a-z]*)\/?(.*)$/.exec(hash) || [];
  const view = { "": "map", incident: "incident", penalties: "penalties", penalty: "penalty", inspections: "inspections", metrics: "metrics", notifications: "notifications", party: "party", trust: "trust" }[name] || "map";
  for (const el of document.querySelectorAll(".view")) el.hidden = el.id !== `view-${view}`;
  const navView = { incident: "map", penalty: "penalties" }[view] || view;
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.view === navView) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const id = decodeURIComponent(arg);
  if (view === "map") missionMap.refresh();
  if (view === "incident") showIncident(id);
  if (view === "penalties") showPenalties();
  if (view === "penalty") showPenalty(id);
  if (view === "inspections") showInspections();
  if (view === "metrics") showMetrics();
  if (view === "notifications") showNotifications();
  if (view === "party") load(["playbooks"]).then(() => partyView.render());
  if (view === "trust") renderTrust();
  if (!firstRoute) $(`#view-${view} h1`).focus();
  firstRoute = false;
  return view;
}

async function refresh() {
  await load([...loaded], { again: true });
  updateSlider();
  applyFilters();
  missionMap.inspections(data.inspections);
  const view = document.querySelector(".view:not([hidden])")?.id;
  if (view === "view-penalties") showPenalties();
  if (view === "view-inspections") showInspections();
  if (view === "view-notifications") await showNotifications();
  if (view === "view-party" && !document.querySelector("#dispute-form")) partyView.render();
  await checkpointStatus();
}

async function main() {
  // The skip link moves the focus without touching the hash (the hash is the route).
  $(".skip").addEventListener("click", (e) => {
    e.preventDefault();
    $("#main").focus();
  });
  $("#refresh").addEventListener("click", () => refresh().catch((err) => say(err.message)));
  // Everything the first view needs is asked for at once.
  const outline = getJSON("/web/outline/countries-50m.json").catch(() => null); // absent: no outline
  const live = load(["incidents", "sensors", "inspections"]);
  const trusted = establishTrust();
  setupTrustForm();
  try {
    await loadAgreement();
    performance.mark("agreement");
  } catch (err) {
    $("#main").prepend(h("p", { role: "alert" }, `The mission's agreement could not be read: ${err.message}`));
    return;
  }
  missionMap = new MissionMap($("#map"), { onIncident: (id) => (location.hash = `#/incident/${encodeURIComponent(id)}`) });
  missionMap.geography(data.agreement);
  performance.mark("geography");
  // Corridor risk (GET /corridors) for the current or next window; a log that cannot give
  // one (no evidence yet) leaves the corridors in their plain colour.
  const when = corridorWindow(data.agreement, Date.now());
  if (when) {
    getJSON(`/corridors?at=${encodeURIComponent(when.at)}&window=${when.hours}h`)
      .then((doc) => missionMap.corridorRisk(doc))
      .catch(() => null);
  }
  const topo = await outline;
  performance.mark("outline fetched");
  if (topo) missionMap.outline(topo);
  performance.mark("outline drawn");
  await Promise.all([live, trusted]);
  performance.mark("data and trust");
  missionMap.sensors(data.sensors);
  missionMap.inspections(data.inspections);
  missionMap.layerControls($("#f-layers"));
  missionMap.legend($("#legend"));
  setupFilters();
  applyFilters();
  data.reload = () => refresh();
  partyView = new PartyView(data);
  partyView.setup();
  window.addEventListener("hashchange", route);
  route();
  performance.mark("map drawn");
  await checkpointStatus();
  performance.mark("checkpoint checked"); // the phases, for benchmarks/bench_dashboard.py
  document.body.dataset.ready = "true";
  setInterval(tickCountdowns, 1000);
  setInterval(() => refresh().catch(() => {}), REFRESH_MS);
}

main();
