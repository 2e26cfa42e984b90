// Reward-driven mode (PRDP, Deng et al.; DDPO with batch-wise normalisation, multi-task joint training and the pretraining-loss term, large-scale RL paper): method, reward (and joint-task reward), rounds and group size, Start/Stop, and the latest round's images with their rewards and the round's mean ± std.
import { useStudioStore } from '../../store';
import { resetRewardTrainSettings, setRewardTrainField } from '../../store/settingsActions';
import { stopTraining, trainWithReward } from '../../store/trainingActions';
import { BROWSER_REWARDS, MAIN_REWARDS, REWARD_METHODS, defaultRewardTrainSettings, type RewardMethod, type RewardTrainSettings, type ScoredGroup } from '../../worker/rewardTrain';
import { RgbaCanvas } from './RgbaCanvas';
import { RatingPanel } from './RatingPanel';
import { HUMAN_RATING_REWARD } from '../../core/rewards/humanRating';

/** How a reward reads in the picker. */
const rewardLabel = (r: string) => (r === HUMAN_RATING_REWARD ? 'your ratings (👍 / 👎 / skip)' : r);

const METHOD_LABEL: Record<RewardMethod, string> = {
  prdp: 'PRDP (reward-difference prediction, proximal)',
  ddpo: 'DDPO (clipped policy gradient, batch-normalised)',
};

function NumberField({ k, label, step = 1, min, max }: { k: keyof RewardTrainSettings; label: string; step?: number; min: number; max: number }) {
  const value = useStudioStore((s) => s.settings.rewardTrain[k]) as number;
  const training = useStudioStore((s) => s.training.status !== 'idle');
  return (
    <label>
      {label}{' '}
      <input
        data-testid={`reward-${k}`}
        type="number"
        min={min}
        max={max}
        step={step}
        value={value}
        disabled={training}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (Number.isFinite(v)) setRewardTrainField(k, (step === 1 ? Math.round(Math.max(min, Math.min(max, v))) : v) as never);
        }}
      />
    </label>
  );
}

/** One scored group: K images with their rewards under a caption; test ids `<prefix>-samples`, `<prefix>-sample`, `<prefix>-sample-value`. */
function SampleRow({ group, round, prefix, caption }: { group: Pick<ScoredGroup, 'images' | 'rewards'>; round: number; prefix: string; caption: string }) {
  return (
    <figure className="reward-samples" data-testid={`${prefix}-samples`} data-round={round}>
      <div className="reward-sample-row">
        {group.images.map((img, i) => (
          <div key={`${round}-${i}`} className="reward-sample">
            <RgbaCanvas image={img} scale={3} label={`round ${round} sample ${i + 1}`} testId={`${prefix}-sample`} />
            <span data-testid={`${prefix}-sample-value`} data-reward={group.rewards[i]}>
              {group.rewards[i].toFixed(3)}
            </span>
          </div>
        ))}
      </div>
      <figcaption>{caption}</figcaption>
    </figure>
  );
}

export function RewardTrainingPanel() {
  const st = useStudioStore((s) => s.settings.rewardTrain);
  const status = useStudioStore((s) => s.training.status);
  const done = useStudioStore((s) => s.training.done);
  const samples = useStudioStore((s) => s.training.rewardSamples);
  const rows = useStudioStore((s) => s.training.rows);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const training = status !== 'idle';
  const last = [...rows].reverse().find((r) => typeof r.rewardMean === 'number' && Number.isFinite(r.rewardMean));

  return (
    <section className="reward-training" aria-label="Reward-driven training" data-testid="reward-training" data-status={status}>
      <p className="hint">
        {st.reward === HUMAN_RATING_REWARD ? 'You are the reward' : 'No clicks'}: each round samples {st.imagesPerPrompt} images for {st.promptsPerRound} active prompt{st.promptsPerRound === 1 ? '' : 's'},{' '}
        {st.reward === HUMAN_RATING_REWARD ? 'you rate each one (thumbs up, down or skip)' : 'scores them with the reward'}, and updates the adapter. Stop ends after the current round.
      </p>
      <div className="reward-settings">
        <label>
          Method{' '}
          <select
            data-testid="reward-method"
            value={st.method}
            disabled={training}
            onChange={(e) => setRewardTrainField('method', e.target.value as RewardMethod)}
          >
            {REWARD_METHODS.map((m) => (
              <option key={m} value={m}>
                {METHOD_LABEL[m]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Reward (higher is better){' '}
          <select data-testid="reward-name" value={st.reward} disabled={training} onChange={(e) => {
              setRewardTrainField('reward', e.target.value);
              if (e.target.value === HUMAN_RATING_REWARD) setRewardTrainField('jointReward', ''); // a person rates one task at a time
            }}>
            {MAIN_REWARDS.map((r) => (
              <option key={r} value={r}>
                {rewardLabel(r)}
              </option>
            ))}
          </select>
        </label>
        <label title="Multi-task joint training (large-scale RL paper): each round also samples the active prompts for a second reward and updates on it, so one adapter serves both.">
          Joint task reward{' '}
          <select data-testid="reward-joint" value={st.jointReward ?? ''} disabled={training || st.reward === HUMAN_RATING_REWARD} onChange={(e) => setRewardTrainField('jointReward', e.target.value)}>
            <option value="">none</option>
            {BROWSER_REWARDS.filter((r) => r !== st.reward).map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <NumberField k="rounds" label="Rounds" min={1} max={10000} />
        <NumberField k="imagesPerPrompt" label="Images per prompt (K)" min={2} max={16} />
        <NumberField k="promptsPerRound" label="Prompts per round" min={1} max={16} />
        <NumberField k="updatesPerRound" label="Updates per round" min={1} max={16} />
        <NumberField k="learningRate" label="Learning rate" step={1e-5} min={1e-7} max={0.1} />
        <span title="Large-scale RL paper: after each round, one step on W × the denoising loss of the model's own training images (shipped as latents), so the adapter keeps drawing emoji while it chases the reward. 0 = off.">
          <NumberField k="pretrainLoss" label="Pretraining loss W" step={0.1} min={0} max={100} />
        </span>
        <button type="button" disabled={training} onClick={resetRewardTrainSettings} title={`${defaultRewardTrainSettings.method.toUpperCase()}, ${defaultRewardTrainSettings.reward}, K = ${defaultRewardTrainSettings.imagesPerPrompt}`}>
          Defaults
        </button>
      </div>
      {training ? (
        <button type="button" data-testid="reward-stop" onClick={stopTraining} disabled={status === 'stopping'}>
          {status === 'stopping' ? 'Stopping after this round…' : `Stop (round ${done} / ${st.rounds} done)`}
        </button>
      ) : (
        <button type="button" data-testid="reward-start" disabled={!ready} onClick={() => void trainWithReward()}>
          Train {st.rounds} {st.method.toUpperCase()} round{st.rounds === 1 ? '' : 's'} on {rewardLabel(st.reward)}
          {st.jointReward ? ` + ${st.jointReward}` : ''}
        </button>
      )}
      {last && (
        <p data-testid="reward-last" data-mean={last.rewardMean} data-std={last.rewardStd}>
          Last round: {st.reward} mean <strong>{last.rewardMean?.toFixed(4)}</strong> ± {last.rewardStd?.toFixed(4)}
          {last.jointRewardMean != null && (
            <span data-testid="reward-last-joint" data-mean={last.jointRewardMean}>
              ; joint task mean <strong>{last.jointRewardMean.toFixed(4)}</strong> ± {last.jointRewardStd?.toFixed(4)}
            </span>
          )}
          {last.pretrainLoss != null && (
            <span data-testid="reward-last-pretrain" data-loss={last.pretrainLoss}>
              ; pretraining loss L_pre <strong>{last.pretrainLoss.toFixed(4)}</strong>
            </span>
          )}{' '}
          (step {last.step}, {last.imagesSampled} images sampled)
        </p>
      )}
      <RatingPanel />
      {samples && <SampleRow group={samples} round={samples.round} prefix="reward" caption={`Round ${samples.round}: “${samples.prompt}”`} />}
      {samples?.joint && <SampleRow group={samples.joint} round={samples.round} prefix="reward-joint" caption={`Joint task (${st.jointReward}): “${samples.joint.prompt}”`} />}
    </section>
  );
}
