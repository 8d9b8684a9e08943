import { svg } from "./dom.js";

/**
 * Two small charts drawn as inline SVG: a weekly share line (0–100 %) and horizontal bars. The
 * geometry is pure (tested in node); rendering adds a <title> and an accessible name, and the page
 * puts the same figures in a table beside each chart for screen readers and exact values.
 */
export const LINE_BOX = { width: 640, height: 240, left: 48, right: 16, top: 16, bottom: 40 };

/** Points of a share series: x spread evenly over the plot, y from 0 (bottom) to 1 (top); null shares leave gaps. */
export function shareLineGeometry(shares, box = LINE_BOX) {
  const plotWidth = box.width - box.left - box.right;
  const plotHeight = box.height - box.top - box.bottom;
  const step = shares.length > 1 ? plotWidth / (shares.length - 1) : 0;
  const points = shares.map((share, i) => {
    const x = box.left + (shares.length > 1 ? i * step : plotWidth / 2);
    if (share === null || share === undefined || Number.isNaN(share)) return { x, y: null };
    const clamped = Math.min(1, Math.max(0, share));
    return { x, y: box.top + (1 - clamped) * plotHeight };
  });
  const segments = [];
  let current = [];
  for (const point of points) {
    if (point.y === null) {
      if (current.length > 0) segments.push(current);
      current = [];
    } else current.push(point);
  }
  if (current.length > 0) segments.push(current);
  return { points, segments, plotWidth, plotHeight };
}

/** Bars for counts: widths proportional to the largest, at least 2 px for a non-zero count. */
export function barGeometry(counts, width = 360) {
  const max = Math.max(0, ...counts);
  return counts.map((count) => (max === 0 || count === 0 ? 0 : Math.max(2, Math.round((count / max) * width))));
}

const fmt = (n) => Number(n.toFixed(1));

export function shareLineChart({ labels, shares, title, describe }) {
  const box = LINE_BOX;
  const { points, segments } = shareLineGeometry(shares, box);
  const bottom = box.height - box.bottom;
  const gridlines = [0, 0.5, 1].map((level) => {
    const y = box.top + (1 - level) * (box.height - box.top - box.bottom);
    return svg(
      "g",
      { class: "grid" },
      svg("line", { x1: box.left, x2: box.width - box.right, y1: fmt(y), y2: fmt(y) }),
      svg("text", { x: box.left - 6, y: fmt(y + 4), "text-anchor": "end" }, `${level * 100}%`),
    );
  });
  const every = Math.max(1, Math.ceil(labels.length / 8));
  const ticks = labels.map((text, i) =>
    i % every === 0 ? svg("text", { x: fmt(points[i].x), y: bottom + 18, "text-anchor": "middle", class: "tick" }, text) : null,
  );
  const lines = segments.map((segment) =>
    svg("polyline", { class: "series", points: segment.map((p) => `${fmt(p.x)},${fmt(p.y)}`).join(" "), fill: "none" }),
  );
  const dots = points.map((p, i) =>
    p.y === null ? null : svg("circle", { class: "dot", cx: fmt(p.x), cy: fmt(p.y), r: 3.5 }, svg("title", {}, `${labels[i]}: ${describe(shares[i])}`)),
  );
  return svg(
    "svg",
    { viewBox: `0 0 ${box.width} ${box.height}`, role: "img", "aria-label": title, class: "chart", preserveAspectRatio: "xMidYMid meet" },
    svg("title", {}, title),
    gridlines,
    svg("line", { class: "axis", x1: box.left, x2: box.width - box.right, y1: bottom, y2: bottom }),
    ticks,
    lines,
    dots,
  );
}

export function barChart({ entries, title }) {
  const rowHeight = 26;
  const labelWidth = 260;
  const widths = barGeometry(entries.map((e) => e.count));
  const height = Math.max(rowHeight, entries.length * rowHeight) + 8;
  return svg(
    "svg",
    { viewBox: `0 0 ${labelWidth + 360 + 60} ${height}`, role: "img", "aria-label": title, class: "chart bars" },
    svg("title", {}, title),
    entries.map((entry, i) => {
      const y = 4 + i * rowHeight;
      return svg(
        "g",
        {},
        svg("text", { x: labelWidth - 8, y: y + 16, "text-anchor": "end" }, entry.label),
        svg("rect", { class: entry.className ?? "bar", x: labelWidth, y: y + 3, width: widths[i], height: rowHeight - 8, rx: 2 }),
        svg("text", { x: labelWidth + widths[i] + 6, y: y + 16 }, String(entry.count)),
      );
    }),
  );
}
