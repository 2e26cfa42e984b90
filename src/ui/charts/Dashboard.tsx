// The training dashboard (TRL DPOTrainer metric names plus DDPO's): one uPlot chart per D3PO/TRL metric over optimizer steps, the reward mean ± std of reward-driven (PRDP/DDPO) rounds (and a joint task's mean, and L_pre of the pretraining-loss term), a smoothing slider (TensorBoard debiased EMA), a log-y toggle and the labeled-pairs curve; rows come from the store (persisted per run in IndexedDB).
import { useMemo } from 'react';
import { useStudioStore } from '../../store';
import { setSetting } from '../../store/settingsActions';
import { chartRows } from '../../store/trainingSlice';
import { setDashboardPaused } from '../../store/trainingActions';
import type { MetricRow } from '../../worker/protocol';
import { UPlotChart, type ChartSeries } from './UPlotChart';
import { AgreementChart } from './AgreementChart';

interface ChartDef {
  id: string;
  title: string;
  series: { label: string; key: keyof MetricRow; color: string; offset?: (r: MetricRow) => number }[];
}

/** Reward-driven rounds (PRDP/DDPO): the round's mean reward with mean ± std around it. */
const REWARD_CHART: ChartDef = {
  id: 'reward',
  title: 'reward mean ± std',
  series: [
    { label: 'mean', key: 'rewardMean', color: '#e67700' },
    { label: 'mean + std', key: 'rewardMean', color: '#ffc078', offset: (r) => r.rewardStd ?? NaN },
    { label: 'mean − std', key: 'rewardMean', color: '#ffc078', offset: (r) => -(r.rewardStd ?? NaN) },
  ],
};

/** Multi-task rounds add the joint task's mean reward to the reward chart. */
const JOINT_REWARD_SERIES: ChartDef['series'][number] = { label: 'joint task mean', key: 'jointRewardMean', color: '#9c36b5' };

const CHARTS: ChartDef[] = [
  { id: 'loss', title: 'loss', series: [{ label: 'loss', key: 'loss', color: '#d6336c' }] },
  { id: 'accuracy', title: 'rewards/accuracies', series: [{ label: 'accuracy', key: 'accuracy', color: '#2b8a3e' }] },
  { id: 'margin', title: 'rewards/margins', series: [{ label: 'margin', key: 'margin', color: '#1971c2' }] },
  {
    id: 'rewards',
    title: 'rewards/chosen · rejected',
    series: [
      { label: 'chosen', key: 'chosenReward', color: '#2b8a3e' },
      { label: 'rejected', key: 'rejectedReward', color: '#c92a2a' },
    ],
  },
  { id: 'kl', title: 'kl (mean log-ratio)', series: [{ label: 'mean log-ratio', key: 'meanLogRatio', color: '#7048e8' }] },
  { id: 'clipfrac', title: 'clipfrac', series: [{ label: 'clip fraction', key: 'clipFraction', color: '#e8590c' }] },
  { id: 'grad-norm', title: 'grad_norm', series: [{ label: 'grad norm', key: 'gradNorm', color: '#0c8599' }] },
  { id: 'lr', title: 'learning_rate', series: [{ label: 'lr', key: 'learningRate', color: '#495057' }] },
  { id: 'labeled', title: 'labeled pairs', series: [{ label: 'labeled', key: 'labeled', color: '#5f3dc4' }] },
  { id: 'pretrain-loss', title: 'pretraining loss L_pre', series: [{ label: 'L_pre', key: 'pretrainLoss', color: '#343a40' }] },
];

function column(rows: MetricRow[], key: keyof MetricRow, offset?: (r: MetricRow) => number): number[] {
  return rows.map((r) => (typeof r[key] === 'number' ? r[key] + (offset ? offset(r) : 0) : NaN));
}

const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');
const fixed = (x: number | undefined, d: number) => (x != null && Number.isFinite(x) ? x.toFixed(d) : '–');

const WINDOWS = [0, 50, 200, 1000];

export function Dashboard() {
  const allRows = useStudioStore((s) => s.training.rows);
  const paused = useStudioStore((s) => s.training.pausedRows);
  const chartWindow = useStudioStore((s) => s.settings.chartWindow);
  const rows = useMemo(() => chartRows(allRows, paused, chartWindow), [allRows, paused, chartWindow]);
  const smoothing = useStudioStore((s) => s.settings.smoothing);
  const logY = useStudioStore((s) => s.settings.logY);
  const xs = useMemo(() => rows.map((r) => r.step), [rows]);
  const charts = useMemo(() => {
    const has = (k: keyof MetricRow) => rows.some((r) => typeof r[k] === 'number' && Number.isFinite(r[k]));
    const reward = has('jointRewardMean') ? { ...REWARD_CHART, series: [...REWARD_CHART.series, JOINT_REWARD_SERIES] } : REWARD_CHART;
    const defs = has('rewardMean') ? [reward, ...CHARTS] : CHARTS;
    return defs
      .map((c) => ({ ...c, data: c.series.map((s): ChartSeries => ({ label: s.label, color: s.color, values: column(rows, s.key, s.offset) })) }))
      .filter((c) => c.data.some((s) => s.values.some(Number.isFinite))); // e.g. no accuracy/margin charts for a PRDP-only run
  }, [rows]);
  const last = rows[rows.length - 1];
  return (
    <section className="dashboard" aria-label="Training metrics" data-testid="dashboard" data-rows={allRows.length}>
      <div className="dashboard-controls">
        <label>
          Smoothing <input type="range" data-testid="smoothing" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSetting('smoothing', Number(e.target.value))} />{' '}
          {smoothing.toFixed(2)}
        </label>
        <label>
          <input type="checkbox" data-testid="log-y" checked={logY} onChange={(e) => setSetting('logY', e.target.checked)} /> log y
        </label>
        <label title="Follow the newest steps (auto-scroll) or show the whole run">
          Show{' '}
          <select data-testid="dashboard-window" value={chartWindow} onChange={(e) => setSetting('chartWindow', Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w === 0 ? 'all steps' : `last ${w}`}
              </option>
            ))}
          </select>
        </label>
        <label title="Freeze the charts to inspect them; training goes on and the new steps appear when you resume">
          <input type="checkbox" data-testid="dashboard-pause" checked={paused != null} onChange={(e) => setDashboardPaused(e.target.checked)} /> pause
        </label>
        <span className="muted" data-testid="dashboard-status">
          {paused != null && allRows.length !== paused.length && `paused: ${allRows.length - paused.length} new step${allRows.length - paused.length === 1 ? '' : 's'} hidden · `}
          {allRows.length} step{allRows.length === 1 ? '' : 's'} recorded
          {last && ` · last: step ${last.step}, loss ${fixed(last.loss, 4)}, accuracy ${pct(last.accuracy)}${last.rewardMean != null ? `, reward ${fixed(last.rewardMean, 4)} ± ${fixed(last.rewardStd, 4)}` : ''}, ${(last.ms / 1000).toFixed(2)} s/step`}
        </span>
      </div>
      <AgreementChart />
      {rows.length === 0 ? (
        <p className="hint">No training steps yet. Label pairs (A or B better): the model learns after every few votes — or pick Reward-driven in the Label view. The loss stays near 0.69 by design (the ratio clip); the taste meter above is the honest progress signal.</p>
      ) : (
        <div className="chart-grid">
          {charts.map((c) => (
            <UPlotChart key={c.id} testId={`chart-${c.id}`} title={c.title} xs={xs} series={c.data} smoothing={smoothing} logY={logY} />
          ))}
        </div>
      )}
    </section>
  );
}
