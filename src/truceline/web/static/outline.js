// TopoJSON (the country outline scripts/vendor-outline ships) to GeoJSON features.
// A topology stores each border once as an arc, quantized and delta-encoded; a polygon's
// rings list arc indices (a negative one, ~i, is arc i reversed). See the TopoJSON spec.

/** The features of object `name`, keeping only those whose box meets `box` [west, south, east, north]. */
export function topoFeatures(topo, name, box = [-180, -90, 180, 90]) {
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
  const arcBox = arcs.map((arc) => {
    const b = [Infinity, Infinity, -Infinity, -Infinity];
    for (const [x, y] of arc) {
      if (x < b[0]) b[0] = x;
      if (y < b[1]) b[1] = y;
      if (x > b[2]) b[2] = x;
      if (y > b[3]) b[3] = y;
    }
    return b;
  });
  const meets = (indices) =>
    indices.flat(2).some((i) => {
      const b = arcBox[i < 0 ? ~i : i];
      return b[0] <= box[2] && b[2] >= box[0] && b[1] <= box[3] && b[3] >= box[1];
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
    .filter((g) => g.arcs && meets(g.arcs))
    .map((g) => ({ type: "Feature", properties: g.properties || {}, geometry: geometry(g) }))
    .filter((f) => f.geometry);
}
