// The metrics view: breaches per party per day, and verified breaches against reports of
// fire, charted from GET /metrics (the same document as `truceline metrics`), each chart
// with a table of its numbers.

import { barChart, lineChart, swatch } from "./charts.js";
import { clear, h } from "./dom.js";

const DAY = 86400000;
const MAX_DAYS = 62;
const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** [from, to) as dates: the days the incidents' evidence spans (the last 14 days if none). */
export function metricsRange(incidents, now = Date.now()) {
  const starts = incidents.map((i) => Date.parse(i.window[0])).filter(Number.isFinite);
  const ends = incidents.map((i) => Date.parse(i.window[1])).filter(Number.isFinite);
  const to = Math.floor((ends.length ? Math.max(...ends) : now) / DAY) * DAY + DAY;
  const from = starts.length ? Math.floor(Math.min(...starts) / DAY) * DAY : to - 14 * DAY;
  return [isoDay(Math.max(from, to - MAX_DAYS * DAY)), isoDay(to)];
}

/** The charted numbers: per period, verified breaches per accused party (key `all`), their
 * sum, and the reports of fire (every `observed_fire` row: one per report, OSCE style). */
export function metricsSeries(doc) {
  const at = new Map(doc.periods.map((p, i) => [p, i]));
  const zero = () => doc.periods.map(() => 0);
  const parties = new Map(doc.parties.map((p) => [p, zero()]));
  const verified = zero();
  const fire = zero();
  for (const r of doc.rows) {
    const i = at.get(r.period);
    if (i === undefined || typeof r.value !== "number") continue;
    if (r.metric === "verified_breaches" && r.key === "all") {
      const party = r.party ?? "not attributed";
      if (!parties.has(party)) parties.set(party, zero());
      parties.get(party)[i] += r.value;
      verified[i] += r.value;
    } else if (r.metric === "observed_fire") {
      fire[i] += r.value;
    }
  }
  return { periods: doc.periods, parties: [...parties].map(([name, values]) => ({ name, values })), verified, fire };
}

function legend(names, dashed) {
  return h(
    "ul",
    { class: "chart-legend" },
    names.map((name, k) => h("li", {}, swatchOf(k, dashed), name)),
  );
}

function swatchOf(k, dashed) {
  return swatch(k, dashed === null ? null : dashed && k > 0);
}

function numbersTable(id, caption, periods, series) {
  return h(
    "div",
    { class: "table-wrap", role: "region", "aria-labelledby": `${id}-caption`, tabindex: "0" },
    h(
      "table",
      { id },
      h("caption", { id: `${id}-caption` }, caption),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day (UTC)"), series.map((x) => h("th", { scope: "col" }, x.name)))),
      h(
        "tbody",
        {},
        periods.map((p, i) =>
          h("tr", { dataset: { period: p } }, h("th", { scope: "row" }, p.slice(0, 10)), series.map((x) => h("td", {}, String(x.values[i])))),
        ),
      ),
    ),
  );
}

export function renderMetrics(body, doc) {
  const m = metricsSeries(doc);
  const labels = m.periods.map((p) => p.slice(5, 10));
  const total = (values) => values.reduce((a, b) => a + b, 0);
  const trend = [
    { name: "verified breaches", values: m.verified },
    { name: "reports of fire", values: m.fire },
  ];
  clear(body).append(
    h(
      "p",
      { id: "metrics-range", dataset: { from: doc.from, to: doc.to } },
      `From ${doc.from} to ${doc.to} (exclusive), per ${doc.by}, as GET /metrics computes them from the log `,
      `(${doc.log.size} entries; agreement ${doc.agreement.id} version ${doc.agreement.version}).`,
    ),
    h("h2", { id: "chart-parties-heading" }, "Verified breaches per party per day"),
    h(
      "figure",
      { "aria-labelledby": "chart-parties-heading" },
      barChart({
        id: "chart-parties",
        title: "Verified breaches per accused party per day",
        desc: m.parties.map((p) => `${p.name}: ${total(p.values)} in all`).join("; ") + ". The numbers are in the table below.",
        labels,
        periods: m.periods,
        series: m.parties,
      }),
      h("figcaption", {}, legend(m.parties.map((p) => p.name), null), "Incidents first verified that day and not dismissed since, by the party accused."),
    ),
    numbersTable("table-parties", "Verified breaches per party per day", m.periods, m.parties),
    h("h2", { id: "chart-trend-heading" }, "Verified breaches against reports of fire"),
    h(
      "figure",
      { "aria-labelledby": "chart-trend-heading" },
      // One chart each, on its own scale: reports outnumber verified breaches many times.
      trend.map((x, k) =>
        lineChart({
          id: `chart-trend-${k}`,
          title: `${x.name[0].toUpperCase()}${x.name.slice(1)} per day`,
          desc: `${total(x.values)} ${x.name} in all. The numbers are in the table below.`,
          labels,
          periods: m.periods,
          series: [x],
          colour: k,
        }),
      ),
      h(
        "figcaption",
        {},
        legend(trend.map((x) => x.name), true),
        "Each on its own scale. Reports of fire count one per sensor report (OSCE style), not per event: many reports make one incident, and most incidents are never verified.",
      ),
    ),
    numbersTable("table-trend", "Verified breaches and reports of fire per day", m.periods, trend),
  );
}
