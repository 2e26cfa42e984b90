// The taste-profile bar in the header: which profile is open (switch with the menu), a panel to create, rename and delete profiles, and the blend sliders (−2…2; negative = anti-taste) that Generate, Compare and A/B pairs sample with.
import { useState } from 'react';
import { useStudioStore } from '../../store';
import { addProfile, applyBlend, removeProfile, renameOpenProfile, setBlendWeight, switchProfile } from '../../store/profileActions';
import { blendParts, blendWeightOf } from '../../store/profilesSlice';
import { MAX_BLEND_WEIGHT } from '../../core/model/loraBlend';
import { MAX_PROFILE_NAME } from '../../storage/profiles';

export function ProfileBar() {
  const p = useStudioStore((s) => s.profiles);
  const ready = useStudioStore((s) => s.session.model != null && s.session.fatal == null);
  const training = useStudioStore((s) => s.training.status !== 'idle');
  const [newName, setNewName] = useState('');
  const [rename, setRename] = useState<string | null>(null);
  const open = p.list.find((x) => x.id === p.active);
  const locked = !ready || training || p.busy;
  const pending = JSON.stringify(blendParts(p)) !== JSON.stringify(p.applied.map(({ profile, weight }) => ({ profile, weight })));
  return (
    <details className="profiles" data-testid="profiles">
      <summary>
        Profile <strong data-testid="profile-name">{open?.name ?? '…'}</strong>
        {p.applied.length > 0 && (
          <span className="hint" data-testid="blend-badge">
            {' '}
            · blend of {p.applied.length}
          </span>
        )}
      </summary>
      <div className="profiles-panel">
        <label>
          Open{' '}
          <select data-testid="profile-select" value={p.active} disabled={locked} onChange={(e) => void switchProfile(e.target.value)}>
            {p.list.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void addProfile(newName).then(() => setNewName(''));
          }}
        >
          <input data-testid="profile-new-name" placeholder="new profile name" maxLength={MAX_PROFILE_NAME} value={newName} onChange={(e) => setNewName(e.target.value)} />{' '}
          <button type="submit" data-testid="profile-create" disabled={locked || newName.trim() === ''}>
            Create and open
          </button>
        </form>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (rename != null) void renameOpenProfile(rename).then(() => setRename(null));
          }}
        >
          <input data-testid="profile-rename" maxLength={MAX_PROFILE_NAME} value={rename ?? open?.name ?? ''} onChange={(e) => setRename(e.target.value)} />{' '}
          <button type="submit" disabled={p.busy || rename == null || rename.trim() === '' || rename === open?.name}>
            Rename
          </button>
        </form>

        <fieldset className="blend" data-testid="blend">
          <legend>Blend (Generate, Compare and A/B pairs)</legend>
          {p.list.map((x) => {
            const w = blendWeightOf(p, x.id);
            return (
              <div key={x.id} className="blend-row">
                <label title={x.id === p.active ? 'the open profile: its live adapter' : "this profile's newest checkpoint; negative = anti-taste"}>
                  <span>
                    {x.name}
                    {x.id === p.active ? ' (open)' : ''}
                  </span>
                  <input
                    type="range"
                    data-testid={`blend-${x.id}`}
                    min={-MAX_BLEND_WEIGHT}
                    max={MAX_BLEND_WEIGHT}
                    step={0.1}
                    value={w}
                    disabled={locked}
                    onChange={(e) => setBlendWeight(x.id, Number(e.target.value))}
                  />
                  <output>{w.toFixed(1)}</output>
                </label>
                {x.id !== p.active && x.id !== 'default' && (
                  <button
                    type="button"
                    className="link"
                    data-testid={`profile-delete-${x.id}`}
                    disabled={locked}
                    onClick={() => {
                      if (globalThis.confirm(`Delete the profile "${x.name}" with its labels, pairs and checkpoints? Export it first if you may want it back.`)) void removeProfile(x.id);
                    }}
                  >
                    delete
                  </button>
                )}
              </div>
            );
          })}
          <button type="button" data-testid="blend-apply" disabled={locked || !pending} onClick={() => void applyBlend()}>
            Apply blend
          </button>
        </fieldset>
        {p.message && (
          <p className="hint" data-testid="profiles-message">
            {p.message}
          </p>
        )}
        {p.error && (
          <p className="error" role="alert" data-testid="profiles-error">
            {p.error}
          </p>
        )}
      </div>
    </details>
  );
}
