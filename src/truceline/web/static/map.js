// The map: the agreement's geography on a plain background with a graticule, sensors and
// their coverage, inspections, and the incidents coloured by grade. Leaflet (window.L) is
// served by this server from the xstatic-leaflet package; there is no tile layer, so the map
// asks nothing of any other server.

import { fmtTime, h } from "./dom.js";
import { topoFeatures } from "./outline.js";

export const GRADES = [
  ["confirmed", "#8e0b0b", "Confirmed"],
  ["fair", "#d9480f", "Fair"],
  ["weak", "#f2c14e", "Weak"],
  ["contested", "#7b3fa0", "Contested"],
  ["discounted", "#9a9a9a", "Discounted"],
];
export const STATES = ["reported", "corroborated", "verified", "disputed", "inspection", "confirmed", "dismissed"];
const GRADE_COLOR = Object.fromEntries(GRADES.map(([g, c]) => [g, c]));
const PARTY_COLORS = ["#3b6ea8", "#b5651d", "#4f8a3c", "#8a3c7a", "#5f5f5f"];
// Corridor risk bands (P of a breach in the window, `truceline corridors`): colours of the
// corridor's line on the map.
export const RISK_BANDS = [
  ["high", 0.3, "#c0262d"],
  ["medium", 0.1, "#e08a00"],
  ["low", 0, "#1e7b4f"],
];

/** The window the map shows corridor risk for: the first one open now or later, else the
 * last one; {at, hours} for GET /corridors, or null when the agreement has no corridor. */
export function corridorWindow(agreement, now) {
  const windows = (agreement.geography.corridors || []).flatMap((c) => c.windows);
  if (!windows.length) return null;
  const spans = windows.map((w) => occurrenceAround(w, now));
  const ahead = spans.filter(([, z]) => z > now).sort((x, y) => x[0] - y[0]);
  const [a, z] = ahead.length ? ahead[0] : spans.sort((x, y) => y[0] - x[0])[0];
  const at = Math.max(a, ahead.length ? Math.min(now, z - 3600e3) : a);
  const hours = Math.min(744, Math.max(1, Math.ceil((z - at) / 3600e3)));
  return { at: new Date(at).toISOString(), hours };
}

/** Of a window (repeated or not, docs/agreement.md), the occurrence [start, end) in ms
 * that is open at `now` or the next one, else the last one. */
export function occurrenceAround(w, now) {
  const a = Date.parse(w.start);
  const z = Date.parse(w.end);
  if (!w.repeat) return [a, z];
  const period = w.repeat.every_hours * 3600e3;
  const last = Math.max(0, Math.ceil((Date.parse(w.repeat.until) - a) / period) - 1);
  const k = Math.min(last, Math.max(0, Math.ceil((now - z) / period)));
  return [a + k * period, z + k * period];
}

/** A window as people read it: "start to end", and "every N h until" when repeated. */
function windowText(w) {
  const once = `${fmtTime(w.start)} to ${fmtTime(w.end)}`;
  return w.repeat ? `${once}, every ${w.repeat.every_hours} h until ${fmtTime(w.repeat.until)}` : once;
}

const LAYERS = [
  ["territories", "Territories and contact line", true],
  ["zones", "Zones", true],
  ["corridors", "Humanitarian corridors", true],
  ["sites", "Protected sites", true],
  ["other", "Other agreement places", true],
  ["sensors", "Sensors", true],
  ["coverage", "Sensor coverage", false],
  ["inspections", "Inspections", true],
  ["graticule", "Latitude and longitude lines", true],
  ["land", "Countries (Natural Earth, 1:50m)", true],
];

/** A tooltip's content as a text node: never HTML. */
function tip(text) {
  return h("span", { text });
}

const ll = ([lon, lat]) => [lat, lon];

export class MissionMap {
  constructor(element, { onIncident }) {
    this.L = window.L;
    const L = this.L;
    this.map = L.map(element, { attributionControl: false, zoomSnap: 0.5, minZoom: 3, maxZoom: 14 });
    for (const [name, z] of [["land", 200], ["graticule", 250], ["geography", 350], ["coverage", 380], ["sensors", 420], ["incidents", 450]]) {
      this.map.createPane(name).style.zIndex = String(z);
    }
    L.control.scale({ imperial: false }).addTo(this.map);
    this.groups = Object.fromEntries(LAYERS.map(([id]) => [id, L.layerGroup()]));
    this.incidents = L.layerGroup().addTo(this.map);
    this.onIncident = onIncident;
    this.partyColor = {};
    this.map.setView([48, 35], 6);
    // Chromium makes Leaflet's clickable SVG paths tab stops, without names: hundreds of them
    // before the table. The table under the map lists the same incidents with links, so the
    // shapes stay out of the tab order and out of the accessibility tree.
    this.map.on("layeradd", (e) => {
      const el = e.layer.getElement?.();
      if (el instanceof SVGElement) {
        el.setAttribute("tabindex", "-1");
        el.setAttribute("aria-hidden", "true");
      }
    });
  }

  /** The layer checkboxes, in `fieldset`. */
  layerControls(fieldset) {
    for (const [id, label, on] of LAYERS) {
      const box = h("input", { type: "checkbox", id: `layer-${id}`, checked: on });
      box.addEventListener("change", () => this.show(id, box.checked));
      fieldset.append(h("div", { class: "check" }, box, h("label", { for: `layer-${id}`, text: label })));
      this.show(id, on);
    }
  }

  show(id, on) {
    if (on) this.groups[id].addTo(this.map);
    else this.groups[id].remove();
  }

  geography(agreement) {
    const L = this.L;
    const geo = agreement.geography;
    const parties = agreement.signatories.filter((s) => s.role === "party");
    parties.forEach((p, i) => (this.partyColor[p.id] = PARTY_COLORS[i % PARTY_COLORS.length]));
    const name = (id) => agreement.signatories.find((s) => s.id === id)?.name || id;
    const pane = "geography";
    this.corridorLayers = {};
    this.corridorNames = Object.fromEntries((geo.corridors || []).map((c) => [c.id, c.name || c.id]));
    for (const t of geo.territories) {
      L.geoJSON(t.geometry, {
        pane,
        style: { color: this.partyColor[t.party] || "#666", weight: 0, fillOpacity: 0.12 },
      })
        .bindTooltip(tip(`Territory held by ${name(t.party)}`), { sticky: true })
        .addTo(this.groups.territories);
    }
    L.geoJSON(geo.contact_line, { pane, style: { color: "#1d1d1d", weight: 3 } })
      .bindTooltip(tip("Contact line"), { sticky: true })
      .addTo(this.groups.territories);
    for (const z of geo.zones || []) {
      L.geoJSON(z.geometry, {
        pane,
        style: { color: "#6b4c00", weight: 1.5, dashArray: "6 4", fillColor: "#e0b84a", fillOpacity: 0.15 },
      })
        .bindTooltip(tip(`${z.name || z.id} (${z.kind} zone)`), { sticky: true })
        .addTo(this.groups.zones);
    }
    for (const c of geo.corridors || []) {
      const windows = c.windows.map(windowText).join("; ");
      this.corridorLayers[c.id] = L.geoJSON(c.geometry, {
        pane,
        style: { color: "#1e7b4f", weight: 4, opacity: 0.8, className: "corridor" },
      })
        .bindTooltip(tip(`${c.name || c.id}: protected ${windows}`), { sticky: true })
        .addTo(this.groups.corridors);
    }
    for (const s of geo.protected_sites || []) {
      const label = tip(`${s.name || s.id} (${s.category}), protected within ${s.radius_m} m`);
      L.geoJSON(s.geometry, {
        pane,
        pointToLayer: (_, latlng) =>
          L.circle(latlng, { pane, radius: Math.max(s.radius_m, 1), color: "#b00020", weight: 1.5, fillOpacity: 0.1 }),
        style: { color: "#b00020", weight: 1.5 },
      })
        .bindTooltip(label)
        .addTo(this.groups.sites);
    }
    // Any other list of places the agreement's geography holds (e.g. weapons holding sites).
    const known = new Set(["contact_line", "territories", "zones", "corridors", "protected_sites", "withdrawal"]);
    for (const [key, items] of Object.entries(geo)) {
      if (known.has(key) || !Array.isArray(items)) continue;
      for (const item of items.filter((x) => x && x.geometry)) {
        L.geoJSON(item.geometry, {
          pane,
          pointToLayer: (_, latlng) => L.circleMarker(latlng, { pane, radius: 5, color: "#004d66", weight: 2, fillOpacity: 0.3 }),
          style: { color: "#004d66", weight: 2 },
        })
          .bindTooltip(tip(`${key.replaceAll("_", " ")}: ${item.name || item.id || ""}`))
          .addTo(this.groups.other);
      }
    }
    // The view fits the contact line, where incidents happen; the graticule covers the territories.
    const line = L.geoJSON(geo.contact_line).getBounds();
    const bounds = L.latLngBounds(line.getSouthWest(), line.getNorthEast());
    for (const t of geo.territories) bounds.extend(L.geoJSON(t.geometry).getBounds());
    this.bounds = bounds;
    this.map.fitBounds(line.pad(0.05));
    this.graticule(bounds);
  }

  graticule(bounds) {
    const L = this.L;
    const span = Math.max(bounds.getEast() - bounds.getWest(), bounds.getNorth() - bounds.getSouth());
    const step = span > 40 ? 10 : span > 16 ? 5 : span > 6 ? 2 : 1;
    const pad = step * 6;
    const west = Math.floor((bounds.getWest() - pad) / step) * step;
    const east = Math.ceil((bounds.getEast() + pad) / step) * step;
    const south = Math.max(-85, Math.floor((bounds.getSouth() - pad) / step) * step);
    const north = Math.min(85, Math.ceil((bounds.getNorth() + pad) / step) * step);
    const style = { pane: "graticule", color: "#9aa7b4", weight: 0.8, interactive: false };
    const labels = [];
    const label = (text, meridian, value) => {
      const marker = L.marker([0, 0], {
        pane: "graticule",
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "grat-label", html: "", iconSize: null }),
      }).on("add", (e) => (e.target.getElement().textContent = text));
      labels.push({ marker, meridian, value });
      marker.addTo(this.groups.graticule);
    };
    for (let lon = west; lon <= east; lon += step) {
      L.polyline([[south, lon], [north, lon]], style).addTo(this.groups.graticule);
      label(`${Math.abs(lon)}°${lon < 0 ? "W" : "E"}`, true, lon);
    }
    for (let lat = south; lat <= north; lat += step) {
      L.polyline([[lat, west], [lat, east]], style).addTo(this.groups.graticule);
      label(`${Math.abs(lat)}°${lat < 0 ? "S" : "N"}`, false, lat);
    }
    // Labels sit along the bottom and left edges of whatever is in view.
    const place = () => {
      const view = this.map.getBounds();
      const inset = (n, s) => (n - s) * 0.03;
      for (const { marker, meridian, value } of labels) {
        marker.setLatLng(
          meridian
            ? [view.getSouth() + inset(view.getNorth(), view.getSouth()), value]
            : [value, view.getWest() + inset(view.getEast(), view.getWest()) / 3],
        );
      }
    };
    this.map.on("moveend zoomend", place);
    place();
  }

  /** Countries from a TopoJSON topology (Natural Earth via world-atlas), under everything:
   * those within 20 degrees of the agreement's geography (the rest of the world costs drawing). */
  outline(topo) {
    const L = this.L;
    const b = this.bounds;
    const box = b ? [b.getWest() - 20, b.getSouth() - 20, b.getEast() + 20, b.getNorth() + 20] : undefined;
    L.geoJSON(
      { type: "FeatureCollection", features: topoFeatures(topo, "countries", box) },
      { pane: "land", interactive: false, style: { color: "#a39e93", weight: 0.8, fillColor: "#fbfaf6", fillOpacity: 1 } },
    ).addTo(this.groups.land);
  }


  /** Colour each corridor by its forecast risk (the worst window of a `truceline corridors`
   * document); the tooltip gives the probability, its 90 % interval and the expected count. */
  corridorRisk(doc) {
    const worst = {};
    for (const f of doc.forecasts || []) {
      if (!worst[f.corridor] || f.p_breach > worst[f.corridor].p_breach) worst[f.corridor] = f;
    }
    for (const [id, layer] of Object.entries(this.corridorLayers || {})) {
      const f = worst[id];
      if (!f) continue;
      const [band, , color] = RISK_BANDS.find(([, min]) => f.p_breach >= min);
      layer.setStyle({ color });
      layer.eachLayer((line) => {
        const el = line.getElement?.();
        if (el) {
          el.classList.add(`risk-${band}`);
          el.setAttribute("data-risk", String(f.p_breach));
        }
      });
      const pct = (p) => `${Math.round(p * 100)} %`;
      layer.setTooltipContent(
        tip(
          `${this.corridorNames[id]}: ${band} risk, P(breach) ${pct(f.p_breach)} ` +
            `(90 %: ${pct(f.p_low)}-${pct(f.p_high)}), expected ${f.expected.toFixed(2)}, ` +
            `${fmtTime(f.window_start)} to ${fmtTime(f.window_end)}`,
        ),
      );
    }
  }
  sensors(list) {
    const L = this.L;
    for (const s of list) {
      if (!s.location) continue;
      const range = s.coverage && s.coverage.range_km;
      const what = `${s.id}: ${s.kind.replaceAll("_", " ")} run by ${s.operator}${range ? `, range ${range} km` : ""}${s.status === "revoked" ? " (revoked)" : ""}`;
      L.circleMarker(ll(s.location), {
        pane: "sensors",
        radius: 3,
        color: "#24475e",
        weight: 1,
        fillColor: s.status === "revoked" ? "#ffffff" : "#24475e",
        fillOpacity: 0.9,
      })
        .bindTooltip(tip(what))
        .addTo(this.groups.sensors);
      const cov = s.coverage || {};
      const style = { pane: "coverage", color: "#24475e", weight: 0.6, opacity: 0.5, fillOpacity: 0.04, interactive: false };
      if (cov.geometry) L.geoJSON(cov.geometry, { style }).addTo(this.groups.coverage);
      else if (range && cov.sector_deg) L.polygon(sector(s.location, range, cov.sector_deg), style).addTo(this.groups.coverage);
      else if (range) L.circle(ll(s.location), { ...style, radius: range * 1000 }).addTo(this.groups.coverage);
    }
  }

  inspections(list) {
    const L = this.L;
    this.groups.inspections.clearLayers();
    for (const i of list) {
      if (!i.location) continue;
      L.marker(ll(i.location), {
        pane: "sensors",
        keyboard: false,
        icon: L.divIcon({ className: `inspection-icon ${i.status}`, iconSize: [12, 12] }),
      })
        .bindTooltip(tip(`Inspection ${i.id} (${i.origin}, ${i.status}), due by ${fmtTime(i.due_by)}, team ${i.team || "none"}`))
        .addTo(this.groups.inspections);
    }
  }

  /** Draw these incidents (the filtered ones), replacing those drawn before. */
  drawIncidents(list) {
    const L = this.L;
    this.incidents.clearLayers();
    for (const inc of list) {
      const dismissed = inc.state === "dismissed";
      const strong = ["verified", "confirmed", "disputed", "inspection"].includes(inc.state);
      const marker = L.circleMarker(ll(inc.location), {
        pane: "incidents",
        radius: strong ? 7 : 5.5,
        color: "#111111",
        weight: strong ? 2 : 1,
        dashArray: dismissed ? "2 2" : null,
        fillColor: GRADE_COLOR[inc.grade] || "#cccccc",
        fillOpacity: dismissed ? 0.35 : 0.9,
      });
      marker.bindTooltip(tip(`${inc.incident}: ${inc.state}, grade ${inc.grade}, accused ${inc.accused || "not attributed"}`));
      marker.on("click", () => this.onIncident(inc.incident));
      marker.feature = { id: inc.incident };
      marker.addTo(this.incidents);
      marker.getElement()?.setAttribute("data-incident", inc.incident);
    }
  }

  legend(element) {
    const items = GRADES.map(([, color, label]) =>
      h("li", {}, h("span", { class: `swatch grade-${label.toLowerCase()}`, "aria-hidden": "true" }), `${label} grade`),
    );
    items.push(h("li", {}, h("span", { class: "swatch ring", "aria-hidden": "true" }), "Thick ring: verified, disputed, inspected or confirmed"));
    items.push(h("li", {}, h("span", { class: "swatch dashed", "aria-hidden": "true" }), "Dashed ring: dismissed"));
    items.push(h("li", {}, h("span", { class: "swatch sensor", "aria-hidden": "true" }), "Sensor"));
    items.push(h("li", {}, h("span", { class: "swatch inspection", "aria-hidden": "true" }), "Inspection"));
    element.append(h("ul", {}, items));
  }

  refresh() {
    this.map.invalidateSize();
  }
}

/** A coverage sector as a polygon: `range_km` around `at`, between two bearings (clockwise from north). */
function sector([lon, lat], rangeKm, [from, to]) {
  const points = [[lat, lon]];
  const end = to < from ? to + 360 : to;
  for (let b = from; b <= end; b += Math.max(1, (end - from) / 24)) {
    const rad = (b * Math.PI) / 180;
    const dLat = (rangeKm / 111.32) * Math.cos(rad);
    const dLon = (rangeKm / (111.32 * Math.cos((lat * Math.PI) / 180))) * Math.sin(rad);
    points.push([lat + dLat, lon + dLon]);
  }
  return points;
}
