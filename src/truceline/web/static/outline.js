// TopoJSON (the country outline scripts/vendor-outline ships) to GeoJSON features.
// A topology stores each border once as an arc, quantized and delta-encoded; a polygon's
// rings list arc indices (a negative one, ~i, is arc i reversed). See the TopoJSON spec.

export function topoFeatures(topo, name) {
  const t = topo.transform;
  const arcs = topo.arcs.map((arc) => {
    let x = 0;
    let y = 0;
    return arc.map(([a, b]) => {
      if (!t) return [a, b];
      x += a;
      y += b;
      return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]];
    });
  });
  const ring = (indices) => {
    const points = [];
    for (const i of indices) {
      const arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
      points.push(...(points.length ? arc.slice(1) : arc)); // arcs share their end points
    }
    return points;
  };
  const geometry = (g) => {
    if (g.type === "Polygon") return { type: "Polygon", coordinates: g.arcs.map(ring) };
    if (g.type === "MultiPolygon") return { type: "MultiPolygon", coordinates: g.arcs.map((p) => p.map(ring)) };
    return null;
  };
  return topo.objects[name].geometries
    .map((g) => ({ type: "Feature", properties: g.properties || {}, geometry: geometry(g) }))
    .filter((f) => f.geometry);
}
