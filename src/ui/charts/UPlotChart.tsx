// Thin React wrapper over uPlot (leeoniya/uPlot: canvas, streaming setData, cursor sync): one canvas chart per metric, each series drawn twice (raw faint, debiased-EMA smoothed on top), step on x, optional log-y, cursors synced across charts, live legend as the hover readout.
import { useEffect, useMemo, useRef } from 'react';
import { tickLabels } from './ticks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { debiasedEma } from './smoothing';

export interface ChartSeries {
  label: string; // TRL-style metric name shown in the legend
  values: number[]; // one per x
  color: string; // CSS colour of the smoothed line
}

interface Props {
  title: string;
  testId: string;
  xs: number[]; // optimizer steps
  series: ChartSeries[];
  smoothing: number; // EMA weight 0..0.99
  logY: boolean;
  syncKey?: string;
  width?: number;
  height?: number;
}

/** A faint version of a CSS hex colour for the raw series. */
function faint(color: string): string {
  return /^#[0-9a-f]{6}$/i.test(color) ? `${color}40` : color;
}

export function UPlotChart({ title, testId, xs, series, smoothing, logY, syncKey = 'd3po-train', width = 340, height = 170 }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('|');
  const positive = series.every((s) => s.values.every((v) => !Number.isFinite(v) || v > 0));
  const distr: 1 | 3 | 4 = logY ? (positive ? 3 : 4) : 1;

  const data = useMemo<uPlot.AlignedData>(() => {
    const cols: (number | null)[][] = [];
    for (const s of series) {
      cols.push(s.values.map((v) => (Number.isFinite(v) ? v : null)));
      cols.push(debiasedEma(s.values.map((v) => (Number.isFinite(v) ? v : null)), smoothing));
    }
    return [xs, ...cols] as uPlot.AlignedData;
  }, [xs, series, smoothing]);

  // (Re)build the chart when its structure changes; data updates go through setData below.
  useEffect(() => {
    const el = host.current;
    if (el == null) return;
    const opts: uPlot.Options = {
      title,
      width,
      height,
      cursor: { sync: { key: syncKey, setSeries: false }, drag: { x: false, y: false } },
      scales: { x: { time: false }, y: { distr, ...(distr === 4 ? { asinh: 1e-3 } : {}) } },
      series: [
        { label: 'step' },
        ...series.flatMap((s): uPlot.Series[] => [
          { label: `${s.label} (raw)`, stroke: faint(s.color), width: 1, points: { show: false } },
          { label: s.label, stroke: s.color, width: 2, points: { show: false } },
        ]),
      ],
      axes: [{ label: 'step', size: 30 }, { size: 60, values: (_u, splits) => tickLabels(splits) }],
      legend: { live: true },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    el.dataset.points = String(u.data[0].length);
    return () => {
      u.destroy();
      plot.current = null;
    };
    // data is applied by the effect below; rebuilding on every row would drop the cursor.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [title, labels, distr, width, height, syncKey]);

  useEffect(() => {
    const u = plot.current;
    if (u == null) return;
    u.setData(data);
    if (host.current) host.current.dataset.points = String(u.data[0].length);
  }, [data]);

  return <div className="chart" ref={host} data-testid={testId} data-points={xs.length} data-series={labels} />;
}
