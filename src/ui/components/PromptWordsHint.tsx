// Under a prompt box: the words the loaded model does not know (its text encoder reads them as <unk>) and words past what it reads, so "pizza, fluent style" on a model without that style word does not fail silently.
import { promptCoverage } from '../../core/data/captions';
import { useStudioStore } from '../../store';

export function PromptWordsHint({ text, testId }: { text: string; testId: string }) {
  const model = useStudioStore((s) => s.session.model);
  if (model == null || text.trim() === '') return null;
  const { unknown, cutWords } = promptCoverage(text, model.vocabulary, model.maxPromptWords);
  if (unknown.length === 0 && cutWords === 0) return null;
  const quoted = unknown.map((w) => `“${w}”`).join(', ');
  return (
    <p className="hint prompt-words" data-testid={testId} role="status">
      {unknown.length > 0 && `The model does not know ${quoted}: ${unknown.length === 1 ? 'it reads it' : 'it reads them'} as an unknown word. `}
      {cutWords > 0 && `Only the first ${model.maxPromptWords} words are read; ${cutWords} more ${cutWords === 1 ? 'is' : 'are'} ignored.`}
    </p>
  );
}
