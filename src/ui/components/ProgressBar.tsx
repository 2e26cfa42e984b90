// A labelled progress bar; `max` null means indeterminate (e.g. no Content-Length, or kernel compilation).
interface Props {
  label: string;
  value: number;
  max: number | null;
  testId?: string;
}

export function ProgressBar({ label, value, max, testId }: Props) {
  return (
    <div className="progress" data-testid={testId}>
      <span className="progress-label">{label}</span>
      {max == null ? <progress /> : <progress value={value} max={max} />}
    </div>
  );
}
