// The labeling screen: prompt list, the pair with its vote buttons and keys, and the training controls on the same page (collect → train → preview, as Teachable Machine).
import { useEffect } from 'react';
import { useStudioStore } from '../../store';
import { setGridMode, setLabelingActive } from '../../store/labelingActions';
import { GridPanel } from '../components/GridPanel';
import { PairPanel } from '../components/PairPanel';
import { PromptPanel } from '../components/PromptPanel';
import { TrainingControls } from '../components/TrainingControls';
import { useLabelKeys } from '../hooks/useLabelKeys';

export function LabelView() {
  // The queue fills only while this screen is open; leaving it cancels pairs still being generated.
  useEffect(() => {
    setLabelingActive(true);
    return () => setLabelingActive(false);
  }, []);
  useLabelKeys(true);
  const gridMode = useStudioStore((s) => s.settings.gridMode);
  return (
    <div className="label-view" data-testid="label-view">
      <label className="mode-toggle">
        <input type="checkbox" data-testid="grid-mode" checked={gridMode} onChange={(e) => setGridMode(e.target.checked)} /> Best of 4 (one click labels 3 pairs)
      </label>
      {gridMode ? <GridPanel /> : <PairPanel />}
      <TrainingControls />
      <details className="prompts-drawer">
        <summary>Prompts</summary>
        <PromptPanel />
      </details>
    </div>
  );
}
