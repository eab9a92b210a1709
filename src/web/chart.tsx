/**
 * A chart drawn in the browser by public/charts.js with uPlot (served from node_modules, no CDN). The data
 * travels in a data attribute (escaped like any attribute; the CSP allows no inline script), and the page
 * keeps the same figures as a table, which is the chart's text alternative.
 */
import type { ComponentChildren } from "preact";
import { useI18n } from "./i18n.js";

export interface ChartSeries {
  label: string;
  /** A CSS colour. */
  color: string;
  values: (number | null)[];
}

export interface ChartData {
  /** "lines": a line with points per series; "bars": one series of bars. */
  kind: "lines" | "bars";
  /** Unix seconds (a time axis), or labels for categories ("2026-11", "250"). */
  x: number[] | string[];
  series: ChartSeries[];
  /** What x is, as the legend names it ("Month", "Reply"). */
  xLabel?: string;
  /** On a time axis: the zone its ticks are shown in. */
  zone?: string;
}

export const CHART_COLORS = {
  sent: "#198754",
  failed: "#dc3545",
  suppressed: "#6c757d",
  bounced: "#fd7e14",
  unsubscribed: "#6f42c1",
  runs: "#0d6efd",
} as const;

/** The chart, then its table folded in a <details> (open it to read the figures). */
export function Chart({
  title,
  data,
  children,
}: {
  title: string;
  data: ChartData;
  /** The table of the same figures; none when the page shows them in a table of its own already. */
  children?: ComponentChildren;
}) {
  const { t } = useI18n();
  // A time axis is named in the page's language (charts.js has no words of its own).
  const named =
    data.xLabel === undefined && typeof data.x[0] === "number"
      ? { ...data, xLabel: t("mailings.chart.time") }
      : data;
  return (
    <figure class="chart-figure mb-3">
      <figcaption class="h6">{title}</figcaption>
      <div
        class="chart"
        role="img"
        aria-label={t("mailings.chart.aria", { title })}
        data-chart={JSON.stringify(named)}
      />
      {children && (
        <details class="mt-2">
          <summary class="small">{t("mailings.chart.table", { title })}</summary>
          {children}
        </details>
      )}
    </figure>
  );
}
