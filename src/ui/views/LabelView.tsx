// The labeling screen: the mode switch (human clicks, oracle clicks, reward-driven PRDP/DDPO), the pair or grid with its vote buttons and keys, the training controls on the same page (collect → train → preview, as Teachable Machine), and the prompt list.
import { useEffect } from 'react';
import { useStudioStore } from '../../store';
import { setDistinctPairs, setGridMode, setLabelingActive } from '../../store/pairQueue';
import { ORACLE_REWARDS, setLabelMode, setOracleReward } from '../../store/oracleActions';
import { GridPanel } from '../components/GridPanel';
import { PairPanel } from '../components/PairPanel';
import { PromptPanel } from '../components/PromptPanel';
import { RewardTrainingPanel } from '../components/RewardTrainingPanel';
import type { SettingsState } from '../../store/settingsSlice';
import { TrainingControls } from '../components/TrainingControls';
import { TasteMeter } from '../components/TasteMeter';
import { useLabelKeys } from '../hooks/useLabelKeys';

const parseMode = (v: string): SettingsState['labelMode'] => (v === 'oracle' || v === 'reward' ? v : 'human');

export function LabelView() {
  // The queue fills only while this screen is open; leaving it cancels pairs still being generated.
  useEffect(() => {
    setLabelingActive(useStudioStore.getState().settings.labelMode !== 'reward');
    return () => setLabelingActive(false);
  }, []);
  useLabelKeys(true);
  const gridMode = useStudioStore((s) => s.settings.gridMode);
  const distinctPairs = useStudioStore((s) => s.settings.distinctPairs);
  const labelMode = useStudioStore((s) => s.settings.labelMode);
  const oracleReward = useStudioStore((s) => s.settings.oracleReward);
  return (
    <div className="label-view" data-testid="label-view">
      <div className="label-modes">
        {labelMode !== 'reward' && (
          <label className="mode-toggle">
            <input type="checkbox" data-testid="grid-mode" checked={gridMode} onChange={(e) => setGridMode(e.target.checked)} /> Best of 4 (one click labels 3 pairs)
          </label>
        )}
        {!gridMode && labelMode !== 'reward' && (
          <label className="mode-toggle" title="Sample 4 images from the same noise and show the two that differ most, so every click compares a visible difference">
            <input type="checkbox" data-testid="distinct-pairs" checked={distinctPairs} onChange={(e) => setDistinctPairs(e.target.checked)} /> Distinct pairs
          </label>
        )}
        {!gridMode && (
          <div className="mode-toggle" data-testid="label-mode-controls">
            <label>
              Mode{' '}
              <select data-testid="label-mode" value={labelMode} onChange={(e) => setLabelMode(parseMode(e.target.value))}>
                <option value="human">Human clicks (D3PO)</option>
                <option value="oracle">Oracle clicks (D3PO, scripted preference)</option>
                <option value="reward">Reward-driven (PRDP / DDPO, no clicks)</option>
              </select>
            </label>{' '}
            {labelMode === 'oracle' && (
              <label>
                Oracle prefers higher{' '}
                <select data-testid="oracle-reward" value={oracleReward} onChange={(e) => setOracleReward(e.target.value)}>
                  {ORACLE_REWARDS.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </label>
            )}
          </div>
        )}
      </div>
      {labelMode === 'reward' && !gridMode ? (
        <RewardTrainingPanel />
      ) : (
        <>
          <TasteMeter />
          {gridMode ? <GridPanel /> : <PairPanel />}
          <TrainingControls />
        </>
      )}
      <details className="prompts-drawer">
        <summary>Prompts</summary>
        <PromptPanel />
      </details>
    </div>
  );
}
