import { useEffect, useRef } from 'react';
import type uPlotType from 'uplot';
// Its small stylesheet comes with this chunk (the overview's), not the first screen's.
import 'uplot/dist/uPlot.min.css';

// uPlot (1.6, ~50 KB minified, ~22 KB compressed, no dependencies, canvas) draws the time series.
// It is imported when the first chart mounts, so it lives in its own chunk: neither the first screen
// nor any page without a chart downloads it.
let loading: Promise<typeof uPlotType> | null = null;
const loadUPlot = () => (loading ??= import('uplot').then((m) => m.default));

/**
 * One time series as a chart. The canvas is decoration for sighted readers (aria-hidden); the
 * figure's caption and the table beside it carry the same numbers for everyone else.
 */
export function TimeChart({ points, label, unit = '', color = '#4f46e5', daily }: { points: { time: string; count: number }[]; label: string; unit?: string; color?: string; daily: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let chart: uPlotType | null = null;
    let live = true;
    const el = box.current!;
    void loadUPlot().then((UPlot) => {
      if (!live) return;
      const xs = points.map((p) => Date.parse(p.time) / 1000);
      const ys = points.map((p) => p.count);
      chart = new UPlot(
        {
          width: Math.max(240, el.clientWidth),
          height: 160,
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max) * 1.1] } },
          axes: [
            { stroke: '#5b6472', grid: { show: false }, values: daily ? '{MMM} {D}' : '{HH}:{mm}' },
            { stroke: '#5b6472', grid: { stroke: '#e3e6eb' }, size: 44, values: (_u, vals) => vals.map((v) => `${+v.toFixed(2)}${unit}`) },
          ],
          series: [{}, { label, stroke: color, width: 2, fill: `${color}22`, points: { show: false } }],
        },
        [xs, ys],
        el,
      );
      el.dataset.ready = 'true';
    });
    const onResize = () => chart?.setSize({ width: Math.max(240, el.clientWidth), height: 160 });
    window.addEventListener('resize', onResize);
    return () => {
      live = false;
      window.removeEventListener('resize', onResize);
      chart?.destroy();
      delete el.dataset.ready;
    };
  }, [points, label, unit, color, daily]);
  return <div ref={box} className="chart" aria-hidden="true" />;
}
