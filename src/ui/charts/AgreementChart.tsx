// Dashboard chart of the taste meter: rolling share of check votes that picked the model's image (its pre-vote prediction), with its 95 % interval as two faint lines, over the check votes.
import { useMemo } from 'react';
import { useStudioStore } from '../../store';
import { METER_WINDOW, meterCurve, meterOutcomes } from '../../store/tasteMeter';
import { UPlotChart } from './UPlotChart';

export function AgreementChart() {
  const labels = useStudioStore((s) => s.labeling.undo);
  const points = useMemo(() => meterCurve(meterOutcomes(labels)), [labels]);
  if (points.length === 0) return null;
  return (
    <div data-testid="agreement-chart" data-points={points.length}>
      <UPlotChart
        testId="chart-agreement"
        title={`taste meter: check votes that picked the model's image (rolling ${METER_WINDOW}, 95 % interval)`}
        xs={points.map((p) => p.vote)}
        series={[
          { label: 'agreement', color: '#2b8a3e', values: points.map((p) => p.rate) },
          { label: '95 % low', color: '#b2f2bb', values: points.map((p) => p.low) },
          { label: '95 % high', color: '#b2f2bb', values: points.map((p) => p.high) },
        ]}
        smoothing={0}
        logY={false}
        syncKey="d3po-meter"
      />
    </div>
  );
}
