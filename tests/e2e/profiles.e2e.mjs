// Browser test of taste profiles on wasm with tiny-test: label and train in the first profile, create a second one (it opens empty: no labels, a new adapter, its own databases), switch back (labels and the adapter's step return), blend the two with sliders (Generate draws a different image; the open profile alone at 1 draws the original again), a reload keeps the open profile, and deleting a profile removes its databases.
import { assert, openStudio, openTab, test, trainByHand, WAIT_MS, waitForPhase } from './harness.mjs';

const opts = { timeout: WAIT_MS, polling: 100 };

const labeled = (page) => page.$eval('[data-testid=label-counter]', (el) => Number(el.dataset.labeled));
const loraStep = (page) => page.$eval('[data-testid=lora-badge]', (el) => Number(el.dataset.step));
const openName = (page) => page.textContent('[data-testid=profile-name]');
const databases = (page) => page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name).sort());

async function openPanel(page) {
  if (!(await page.$eval('[data-testid=profiles]', (el) => el.open))) await page.click('[data-testid=profiles] > summary');
}

/** Closes the profile panel (it lies over the tabs) and opens a screen. */
async function tab(page, view) {
  if (await page.$eval('[data-testid=profiles]', (el) => el.open)) await page.click('[data-testid=profiles] > summary');
  await openTab(page, view);
}

async function selectProfile(page, id, name) {
  await openPanel(page);
  await page.selectOption('[data-testid=profile-select]', id);
  await page.waitForFunction((n) => document.querySelector('[data-testid=profile-name]')?.textContent === n, name, opts);
}

async function voteTwice(page) {
  await tab(page, 'label');
  for (let i = 0; i < 2; i++) {
    const before = await labeled(page);
    await page.waitForFunction(() => document.querySelector('[data-testid=pair-panel]')?.dataset.shown === 'true', null, opts);
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((n) => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled) === n, before + 1, opts);
  }
}

/** Generate's first image as bytes (prompt, seed and steps fixed). */
async function generated(page) {
  await tab(page, 'generate');
  await page.fill('[data-testid=prompt]', 'red heart');
  await page.fill('[data-testid=count]', '1');
  await page.fill('[data-testid=seed]', '5');
  await page.click('[data-testid=generate]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=generated-image]').length === 1 && document.querySelector('main')?.dataset.phase === 'ready', null, opts);
  return page.$eval('[data-testid=generated-image]', (c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(','));
}

test('profiles: each profile has its own labels and adapter; switch, blend with sliders, reload, delete', async (ctx) => {
  const { page } = await openStudio(ctx, '/?backend=wasm&model=tiny-test');
  await waitForPhase(page, 'ready');
  assert.equal(await openName(page), 'My taste');

  // ---- the first profile: 2 votes and 2 training steps
  await voteTwice(page);
  await tab(page, 'train');
  await trainByHand(page, 2);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=lora-badge]')?.dataset.step) >= 2 && document.querySelector('[data-testid=train-button]')?.disabled === false, null, opts);
  const firstStep = await loraStep(page);
  const firstImage = await generated(page);

  // ---- a second profile opens empty, in its own databases
  await openPanel(page);
  await page.fill('[data-testid=profile-new-name]', 'dark things');
  await page.click('[data-testid=profile-create]');
  await page.waitForFunction(() => document.querySelector('[data-testid=profile-name]')?.textContent === 'dark things', null, opts);
  assert.match(await page.textContent('[data-testid=profiles-message]'), /^Opened "dark things": a new adapter\.$/);
  assert.equal(await loraStep(page), 0);
  await tab(page, 'label');
  assert.equal(await labeled(page), 0, 'the new profile has no labels');
  await voteTwice(page);
  const secondId = await page.$eval('[data-testid=profile-select]', (s) => s.value);
  assert.ok((await databases(page)).includes(`d3po-studio-labels-v1~${secondId}`), 'the second profile writes its own labels database');

  // ---- switch back: the first profile's labels and adapter return
  await selectProfile(page, 'default', 'My taste');
  await tab(page, 'label');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled) === 2, null, opts);
  assert.equal(await loraStep(page), firstStep);
  assert.equal(await generated(page), firstImage, 'the same adapter draws the same image');

  // ---- the other profile trains a little, then the blend: open profile at 0, the other at 1 → a different image; back to 1 / 0 → the original
  await selectProfile(page, secondId, 'dark things');
  await tab(page, 'train');
  await trainByHand(page, 2);
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=lora-badge]')?.dataset.step) >= 2 && document.querySelector('[data-testid=train-button]')?.disabled === false, null, opts);
  await selectProfile(page, 'default', 'My taste');
  const setSlider = (id, v) => page.$eval(`[data-testid=blend-${id}]`, (el, value) => {
    const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    set.call(el, String(value));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, v);
  await setSlider('default', 0);
  await setSlider(secondId, 1);
  await page.click('[data-testid=blend-apply]');
  await page.waitForFunction(() => /^Sampling with My taste × 0 \+ dark things × 1\.$/.test(document.querySelector('[data-testid=profiles-message]')?.textContent ?? ''), null, opts);
  assert.equal(await page.textContent('[data-testid=blend-badge]'), ' · blend of 2');
  const blended = await generated(page);
  assert.notEqual(blended, firstImage, 'the blend draws with the other profile');
  await openPanel(page);
  await setSlider('default', 1);
  await setSlider(secondId, 0);
  await page.click('[data-testid=blend-apply]');
  await page.waitForFunction(() => document.querySelector('[data-testid=profiles-message]')?.textContent === 'Sampling with the open profile alone.', null, opts);
  assert.equal(await generated(page), firstImage);

  // ---- a reload keeps the open profile
  await selectProfile(page, secondId, 'dark things');
  await page.reload();
  await waitForPhase(page, 'ready');
  assert.equal(await openName(page), 'dark things');
  await tab(page, 'label');
  await page.waitForFunction(() => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled) === 2, null, opts);
  // ---- deleting a profile removes its databases: a scratch profile with one vote, deleted from the first profile
  await openPanel(page);
  await page.fill('[data-testid=profile-new-name]', 'scratch');
  await page.click('[data-testid=profile-create]');
  await page.waitForFunction(() => document.querySelector('[data-testid=profile-name]')?.textContent === 'scratch', null, opts);
  const scratchId = await page.$eval('[data-testid=profile-select]', (s) => s.value);
  await voteTwice(page);
  assert.ok((await databases(page)).includes(`d3po-studio-labels-v1~${scratchId}`));
  await selectProfile(page, 'default', 'My taste');
  page.once('dialog', (d) => d.accept());
  await page.click(`[data-testid=profile-delete-${scratchId}]`);
  await page.waitForFunction(() => /^Deleted the profile "scratch"/.test(document.querySelector('[data-testid=profiles-message]')?.textContent ?? ''), null, opts);
  // deleteDatabase completes once every connection has closed (the worker's and the page's close on the switch, or on the delete's versionchange).
  await page
    .waitForFunction(async (id) => (await indexedDB.databases()).every((d) => !d.name.endsWith(id)), scratchId, { timeout: 15_000, polling: 250 })
    .catch(() => undefined);
  assert.deepEqual((await databases(page)).filter((n) => n.endsWith(scratchId)), [], 'its databases are gone');
  assert.deepEqual(await page.$$eval('[data-testid=profile-select] option', (os) => os.map((o) => o.textContent)), ['My taste', 'dark things']);
  ctx.log(`profiles: first at step ${firstStep}, second trained separately; blend drew a different image and the original came back`);
});
