// Page entry point: boots the studio worker once (outside React, so StrictMode's double mount cannot start two) and mounts the React app (the worker, not this file, picks the tfjs backend).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { boot } from './store/actions';
import { useStudioStore } from './store';
import { App } from './ui/App';
import './ui/styles.css';
import { enableOffline } from './offline';

// Leaving mid-round loses the steps since the last checkpoint: ask first (the browser shows its own wording).
globalThis.addEventListener('beforeunload', (e) => {
  if (useStudioStore.getState().training.status !== 'idle') e.preventDefault();
});

const root = document.getElementById('root');
if (root == null) throw new Error('index.html must contain <div id="root">.');
// In the built app, boot once the offline service worker controls the page, so the model and wasm get cached too.
void (import.meta.env.PROD ? enableOffline() : Promise.resolve()).then(() => boot(globalThis.location.search));
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
