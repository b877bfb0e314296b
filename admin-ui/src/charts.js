// Live line charts drawn with uPlot (bundled from npm), sized to their container.
import uPlot from 'uplot';
import { h, uid } from './dom.js';

const PALETTE = ['#2f6fdf', '#e0672b', '#1f9d6b', '#a04bd6', '#c9a21a'];

function cssVar(name, fallback) {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * A chart card. spec: { title, series: [{ label, value(sample) }], unit, digits }.
 * Returns { el, update(samples), destroy() }.
 */
export function liveChart(spec) {
  const titleId = uid('chart');
  const plotHost = h('div', { class: 'chart-plot' });
  const current = h('div', { class: 'chart-current', 'aria-live': 'off' });
  const el = h(
    'figure',
    { class: 'chart card', 'aria-labelledby': titleId, 'data-chart': spec.key },
    h('figcaption', { class: 'chart-head' }, h('h2', { id: titleId, class: 'card-title', text: spec.title }), current),
    plotHost,
  );
  let plot = null;
  let lastData = [[], ...spec.series.map(() => [])];
  const fmt = (v) =>
    v === null || v === undefined || Number.isNaN(v)
      ? '—'
      : `${Number(v).toLocaleString('en-US', { maximumFractionDigits: spec.digits ?? 0 })}${spec.unit ? ` ${spec.unit}` : ''}`;

  function make(width) {
    const axisStroke = cssVar('--muted', '#667');
    const gridStroke = cssVar('--grid', 'rgba(127,127,127,0.15)');
    const opts = {
      width,
      height: 190,
      legend: { show: false }, // the current values are shown next to the title
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max * 1.15, spec.minMax ?? 1)] } },
      axes: [
        { stroke: axisStroke, grid: { stroke: gridStroke }, ticks: { stroke: gridStroke } },
        {
          stroke: axisStroke,
          grid: { stroke: gridStroke },
          ticks: { stroke: gridStroke },
          size: 56,
          values: (u, vals) => vals.map((v) => Number(v).toLocaleString('en-US', { maximumFractionDigits: 2 })),
        },
      ],
      series: [
        { label: 'time' },
        ...spec.series.map((s, i) => ({
          label: s.label,
          stroke: s.color || PALETTE[i % PALETTE.length],
          width: 2,
          fill: i === 0 ? `${s.color || PALETTE[0]}1a` : undefined,
          points: { show: false },
          value: (u, v) => fmt(v),
        })),
      ],
    };
    plot = new uPlot(opts, lastData, plotHost);
  }

  const ro = new ResizeObserver((entries) => {
    const width = Math.max(200, Math.floor(entries[0].contentRect.width));
    if (!plot) make(width);
    else if (Math.abs(plot.width - width) > 1) plot.setSize({ width, height: 190 });
  });
  ro.observe(plotHost);

  return {
    el,
    update(samples) {
      const xs = samples.map((s) => Number(s.time_ms) / 1000);
      lastData = [xs, ...spec.series.map((s) => samples.map((x) => Number(s.value(x)) || 0))];
      if (plot) plot.setData(lastData);
      const last = samples[samples.length - 1];
      current.replaceChildren(
        ...spec.series.map((s, i) =>
          h('span', { class: 'chart-value' }, h('span', { class: 'swatch', style: `background:${s.color || PALETTE[i % PALETTE.length]}` }), `${s.label}: `, h('strong', { text: last ? fmt(s.value(last)) : '—' })),
        ),
      );
    },
    destroy() {
      ro.disconnect();
      if (plot) plot.destroy();
      plot = null;
    },
  };
}
