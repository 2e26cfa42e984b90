// The prompt list pairs cycle through: add a prompt, switch prompts on/off, import a .txt (one prompt per line), reset to the default emoji prompts. Settings are persisted.
import { useState, type ChangeEvent, type FormEvent } from 'react';
import { useStudioStore } from '../../store';
import { addPrompts, resetPrompts, togglePrompt } from '../../store/settingsActions';
import { PromptWordsHint } from './PromptWordsHint';

export function PromptPanel() {
  const prompts = useStudioStore((s) => s.settings.prompts);
  const disabled = useStudioStore((s) => s.settings.disabledPrompts);
  const [text, setText] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const added = addPrompts([text], true);
    setMessage(added > 0 ? null : 'That prompt is already in the list.');
    setText('');
  };
  const importTxt = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (file == null) return;
    const lines = (await file.text()).split(/\r?\n/);
    const added = addPrompts(lines, false);
    setMessage(`Imported ${added} new prompt${added === 1 ? '' : 's'} from ${file.name}.`);
  };

  const off = new Set(disabled);
  return (
    <section className="prompt-panel" aria-label="Prompts">
      <form onSubmit={submit} className="prompt-add">
        <label>
          New prompt
          <input data-testid="new-prompt" type="text" value={text} placeholder="smiling cat face" onChange={(e) => setText(e.target.value)} />
        </label>
        <button type="submit" disabled={text.trim() === ''}>
          Add
        </button>
        <label className="file-button">
          Import .txt
          <input data-testid="import-prompts" type="file" accept=".txt,text/plain" onChange={(e) => void importTxt(e)} />
        </label>
        <button type="button" onClick={resetPrompts}>
          Default list
        </button>
      </form>
      <PromptWordsHint text={text} testId="new-prompt-words" />
      {message && <p className="hint">{message}</p>}
      <ul className="prompt-list" data-testid="prompt-list">
        {prompts.map((p) => (
          <li key={p}>
            <label className={off.has(p) ? 'prompt-off' : ''}>
              <input type="checkbox" checked={!off.has(p)} onChange={() => togglePrompt(p)} /> {p}
            </label>
          </li>
        ))}
      </ul>
      <p className="hint">Pairs cycle through the checked prompts; {prompts.length - off.size} of {prompts.length} on.</p>
    </section>
  );
}
