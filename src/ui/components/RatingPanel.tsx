// Human ratings in reward-driven mode: the round's images of one prompt, large, each with thumbs up / thumbs down / skip (U/↑, D/↓, S/0; ←/→ move; Enter sends); the highlighted image is the one the keys rate. The answer becomes the round's rewards for PRDP or DDPO.
import { useStudioStore } from '../../store';
import { rateImage, sendRatings } from '../../store/ratingActions';
import { ratingReward, type Rating } from '../../core/rewards/humanRating';
import { useRatingKeys } from '../hooks/useRatingKeys';
import { RgbaCanvas } from './RgbaCanvas';

const BUTTONS: { rating: Rating; label: string; key: string }[] = [
  { rating: 'up', label: '👍 good', key: 'U' },
  { rating: 'down', label: '👎 bad', key: 'D' },
  { rating: 'skip', label: 'skip', key: 'S' },
];

export function RatingPanel() {
  const ask = useStudioStore((s) => s.training.rating);
  useRatingKeys(ask != null);
  if (ask == null) return null;
  const left = ask.ratings.filter((r) => r == null).length;
  return (
    <section className="rating-panel" aria-label="Rate the round's images" data-testid="rating-panel" data-request={ask.request}>
      <h3>
        Round {ask.round} of {ask.total}: rate each image for “{ask.prompt}”
      </h3>
      <p className="hint">
        Thumbs up = +1, thumbs down = −1, skip = 0 (no opinion); your ratings are the reward this round trains on. Keys: U/↑ good, D/↓ bad, S skip, ←/→ move, Enter send.
      </p>
      <div className="rating-row">
        {ask.images.map((img, i) => (
          <figure key={`${ask.request}-${i}`} className={`rating-item${i === ask.cursor ? ' current' : ''}`} data-testid="rating-item" data-rating={ask.ratings[i] ?? ''} aria-current={i === ask.cursor}>
            <RgbaCanvas image={img} scale={6} label={`image ${i + 1} of ${ask.images.length}`} testId="rating-image" />
            <div className="rating-buttons" role="group" aria-label={`rate image ${i + 1}`}>
              {BUTTONS.map((b) => (
                <button
                  key={b.rating}
                  type="button"
                  data-testid={`rate-${b.rating}`}
                  aria-pressed={ask.ratings[i] === b.rating}
                  title={`${b.label} (${b.key}; reward ${ratingReward(b.rating)})`}
                  onClick={() => rateImage(i, b.rating)}
                >
                  {b.label}
                </button>
              ))}
            </div>
          </figure>
        ))}
      </div>
      <button type="button" data-testid="rating-send" disabled={left > 0} onClick={() => sendRatings()}>
        {left > 0 ? `${left} to rate` : 'Send ratings and train (Enter)'}
      </button>
    </section>
  );
}
