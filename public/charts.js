// Charts: every [data-chart] element is drawn with uPlot from its JSON (see src/web/chart.tsx). uPlot is
// loaded only on pages that have a chart. Without this script the tables beside the charts stay.
// Time ticks in 24-hour time with the page's month and weekday names (uPlot's own are 12-hour English):
// its templates' {h}…{aa} become {HH}:{mm}, and M/D dates become "D MMM".
function localNames(lang) {
  const names = (options, count, at) =>
    Array.from({ length: count }, (_v, i) => new Intl.DateTimeFormat(lang, options).format(at(i)));
  const month = (i) => new Date(Date.UTC(2026, i, 15));
  // 2026-11-01 is a Sunday: uPlot counts weekdays from Sunday, like Date.getDay().
  const day = (i) => new Date(Date.UTC(2026, 10, 1 + i));
  return {
    MMMM: names({ month: "long", timeZone: "UTC" }, 12, month),
    MMM: names({ month: "short", timeZone: "UTC" }, 12, month),
    WWWW: names({ weekday: "long", timeZone: "UTC" }, 7, day),
    WWW: names({ weekday: "short", timeZone: "UTC" }, 7, day),
  };
}
function fmtDate24(uPlot, names) {
  return (tpl) =>
    uPlot.fmtDate(
      tpl
        .replaceAll("{h}{aa}", "{HH}:00")
        .replaceAll("{h}", "{HH}")
        .replaceAll("{aa}", "")
        .replaceAll("{M}/{D}/{YY}", "{D} {MMM} {YYYY}")
        .replaceAll("{M}/{D}", "{D} {MMM}"),
      names,
    );
}

function chartOptions(box, data, uPlot) {
  const time = typeof data.x[0] === "number";
  const labels = time ? null : data.x;
  const width = Math.max(280, box.clientWidth);
  const lang = document.documentElement.lang || "en";
  // Every chart counts messages or runs: the y axis ticks whole numbers only, in the page's digits
  // ("1 500" in Russian), never "0,5"; the legend shows the hovered point's figures in the same digits.
  const count = new Intl.NumberFormat(lang);
  const fmtDate = fmtDate24(uPlot, localNames(lang));
  const tzDate = time && data.zone ? (ts) => uPlot.tzDate(new Date(ts * 1e3), data.zone) : undefined;
  const stamp = fmtDate("{D} {MMM} {YYYY}, {HH}:{mm}");
  // Away from the chart the legend names the series alone (uPlot's own placeholder is "--").
  const hovered = (format) => (_u, value, _s, i) => (i == null || value == null ? "" : format(value));
  const series = [
    time
      ? {
          label: data.xLabel ?? "Time",
          value: hovered((ts) => stamp(tzDate ? tzDate(ts) : new Date(ts * 1e3))),
        }
      : { label: data.xLabel ?? "", value: (_u, i) => (i === null ? "" : (labels[i] ?? "")) },
    ...data.series.map((s) => ({
      label: s.label,
      value: hovered((v) => count.format(v)),
      stroke: s.color,
      fill: data.kind === "bars" ? `${s.color}99` : undefined,
      width: 2,
      // Bars need no point marker (it sat on top of each bar like a stray dot).
      points: { show: data.kind !== "bars", size: 6 },
      paths: data.kind === "bars" ? uPlot.paths.bars({ size: [0.6, 60] }) : undefined,
    })),
  ];
  const xAxis = time
    ? {}
    : {
        values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (labels[t] ?? "") : "")),
        incrs: [1, 2, 3, 6, 12],
      };
  const yAxis = {
    size: 56,
    incrs: [1, 2, 5].flatMap((m) => [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7].map((p) => m * p)).sort((a, b) => a - b),
    values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? count.format(t) : "")),
  };
  return {
    width,
    height: 220,
    series,
    axes: [xAxis, yAxis],
    scales: {
      // A time axis spans at least ten minutes around its points (one point alone would span years).
      x: time
        ? {
            time: true,
            auto: false,
            range: () => [data.x[0] - 60, Math.max(data.x[data.x.length - 1], data.x[0] + 600) + 60],
          }
        : { time: false, range: () => [-0.5, labels.length - 0.5] },
      y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] },
    },
    fmtDate,
    tzDate,
    legend: { live: true },
  };
}

function drawChart(box, uPlot) {
  let data;
  try {
    data = JSON.parse(box.getAttribute("data-chart"));
  } catch {
    return;
  }
  if (!data || data.x.length === 0) return;
  const xs = typeof data.x[0] === "number" ? data.x : data.x.map((_label, i) => i);
  const plot = new uPlot(chartOptions(box, data, uPlot), [xs, ...data.series.map((s) => s.values)], box);
  let timer;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(() => plot.setSize({ width: Math.max(280, box.clientWidth), height: 220 }), 150);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const boxes = document.querySelectorAll("[data-chart]");
  if (boxes.length === 0) return;
  const css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = "/assets/uplot/uPlot.min.css";
  document.head.append(css);
  const script = document.createElement("script");
  script.src = "/assets/uplot/uPlot.iife.min.js";
  script.addEventListener("load", () => {
    for (const box of boxes) drawChart(box, window.uPlot);
  });
  document.head.append(script);
});
