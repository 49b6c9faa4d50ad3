import type { ChartConfiguration } from "chart.js";
import { useEffect, useRef } from "preact/hooks";

// Loaded on first use: only the Spend page draws charts, and the list pages appear sooner without it.
let library: Promise<typeof import("./chart-library")> | null = null;
const loadLibrary = () => {
  library ??= import("./chart-library");
  return library;
};

export const PALETTE = [
  "#1f6feb",
  "#e3761c",
  "#2da44e",
  "#a371f7",
  "#d1242f",
  "#0a8f8f",
  "#bf8700",
  "#8c959f",
];

export interface BarSeries {
  label: string;
  values: number[];
}

/**
 * A bar chart. `stacked` stacks the series; `horizontal` lays bars along the x axis (top-N lists).
 * The canvas is an image for assistive technology: the page shows the same numbers in a table.
 */
export function BarChart({
  labels,
  series,
  stacked = false,
  horizontal = false,
  format,
  description,
  height = 260,
}: {
  labels: string[];
  series: BarSeries[];
  stacked?: boolean;
  horizontal?: boolean;
  format: (value: number) => string;
  description: string;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const valueAxis = {
      type: "linear" as const,
      stacked,
      beginAtZero: true,
      ticks: { callback: (value: number | string) => format(Number(value)) },
    };
    const config: ChartConfiguration<"bar"> = {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s, i) => ({
          label: s.label,
          data: s.values,
          backgroundColor: PALETTE[i % PALETTE.length],
          borderWidth: 0,
          maxBarThickness: 48,
        })),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        // The category axis keeps Chart.js's own ticks (the labels); the value axis formats its numbers.
        scales: horizontal
          ? { x: valueAxis, y: { type: "category", stacked } }
          : { x: { type: "category", stacked }, y: valueAxis },
        plugins: {
          legend: { display: series.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${format(Number(item.raw))}` } },
        },
      },
    };
    let chart: { destroy(): void } | null = null;
    let cancelled = false;
    loadLibrary().then(({ Chart }) => {
      if (!cancelled && canvas.current) chart = new Chart(canvas.current, config);
    });
    return () => {
      cancelled = true;
      chart?.destroy();
    };
  }, [labels, series, stacked, horizontal, format]);
  return (
    <div class="chart" style={{ height: `${height}px` }}>
      <canvas ref={canvas} role="img" aria-label={description} />
    </div>
  );
}
