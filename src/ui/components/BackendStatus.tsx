// Which tfjs backend the worker runs on, its adapter / wasm build, and why every better backend failed (tfjs falls back silently when setBackend returns false, tensorflow/tfjs#8065, so the studio says which backend runs).
import type { BackendReport } from '../../platform/backendTypes';

interface Props {
  backend: BackendReport | null; // null while the worker is still initialising
}

export function BackendStatus({ backend }: Props) {
  if (backend == null) return <p className="backend">Starting the compute worker…</p>;
  const { adapterInfo, wasm, tried, selection, timings } = backend;
  return (
    <section className="backend" aria-label="Compute backend">
      <p>
        Backend: <strong data-testid="backend-name" data-worker-isolated={String(backend.crossOriginIsolated)}>{backend.name}</strong>
        {adapterInfo && (
          <span data-testid="adapter-info" data-architecture={adapterInfo.architecture} data-vendor={adapterInfo.vendor}>
            {' '}
            — GPU {[adapterInfo.vendor, adapterInfo.architecture, adapterInfo.description].filter(Boolean).join(' / ') || 'unknown adapter'}
          </span>
        )}
        {wasm && (
          <span data-testid="wasm-info" data-binary={wasm.binary} data-threads={wasm.threads}>
            {' '}
            — {wasm.binary}, {wasm.threads} thread{wasm.threads === 1 ? '' : 's'}
            {!wasm.multithread && ' (no threads: the page is not cross-origin isolated)'}
          </span>
        )}
      </p>
      {timings && (
        <details className="backend-timings" data-testid="backend-timings" data-selection={selection}>
          <summary>
            {selection === 'cached' ? 'Chosen by an earlier measurement on this device' : 'Chosen by measurement'} (reload with ?backend=… to force one)
          </summary>
          <ul>
            {timings.map((t) => (
              <li key={t.name} data-testid="backend-timing" data-name={t.name} data-score={t.score ?? ''}>
                {t.name}: {t.score != null ? `${t.sampleMs!.toFixed(1)} ms per guided UNet call, ${t.trainMs!.toFixed(1)} ms per training call (≈ ${(t.score / 1000).toFixed(2)} s per pair + step)` : t.note}
                {t.name === backend.name ? ' ← in use' : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
      {selection === 'forced' && <p className="muted" data-testid="backend-forced">Backend forced by ?backend={backend.name}.</p>}
      {adapterInfo && (
        <details className="gpu-capabilities" data-testid="gpu-capabilities" data-f16={String(adapterInfo.features.includes('shader-f16'))} data-max-storage-binding={adapterInfo.limits.maxStorageBufferBindingSize}>
          <summary>GPU capabilities</summary>
          <ul>
            <li>shader-f16: {adapterInfo.features.includes('shader-f16') ? 'yes' : 'no'} (the studio computes in f32 either way)</li>
            {Object.entries(adapterInfo.limits).map(([k, v]) => (
              <li key={k}>
                {k}: {k.endsWith('Size') && v >= 1 << 20 ? `${(v / (1 << 20)).toFixed(0)} MiB` : String(v)}
              </li>
            ))}
            <li>features: {adapterInfo.features.join(', ') || 'none'}</li>
          </ul>
        </details>
      )}
      {tried.length > 0 && (
        <ul className="backend-fallbacks" data-testid="backend-fallbacks">
          {tried.map((t) => (
            <li key={t.name}>{t.error}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
