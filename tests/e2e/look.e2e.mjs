// Browser test of the studio's look: every screen fits 1280×720 and a tablet (820×1180 portrait, 1180×820 landscape) without sideways scrolling, the Label view's pair and vote buttons are above the fold at 1280×720, light and dark follow the system colour scheme, the profile panel opens inside the window, and keyboard focus is visible. With SCREENSHOTS=1 (`npm run screenshots`) it loads the shipped emoji-sd model, labels a few pairs with the oracle so every screen has content, and writes docs/screenshots/*.png for the README.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, openStudio, openTab, test, WAIT_MS, waitForPhase } from './harness.mjs';

const SHOTS = process.env.SCREENSHOTS === '1';
const shotDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../docs/screenshots');
const opts = { timeout: WAIT_MS, polling: 100 };

/** Relative luminance (WCAG 2.x) of a CSS rgb()/rgba() colour string. */
function luminance(css) {
  const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => v / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Page width beyond the viewport, in CSS pixels (0 = no sideways scrolling). */
const overflowX = (page) => page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));

async function tabs(page) {
  return page.$$eval('nav.tabs [data-testid^=tab-]', (els) => els.map((el) => el.dataset.testid.slice('tab-'.length)));
}

async function shot(page, name) {
  if (!SHOTS) return;
  fs.mkdirSync(shotDir, { recursive: true });
  await page.screenshot({ path: path.join(shotDir, `${name}.png`) });
}

test('look: 1280×720 and tablet layouts, hero pair above the fold, light and dark, visible focus', async (ctx) => {
  const model = SHOTS ? 'emoji-sd' : 'tiny-test';
  const s = await openStudio(ctx, `/?backend=wasm&model=${model}`);
  const { page } = s;
  await waitForPhase(page, 'ready');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=pair-image]').length === 2, null, opts);

  if (SHOTS) {
    // Some history for the dashboard, the meter and the data screens: the oracle labels a dozen pairs, rounds train.
    await page.selectOption('[data-testid=label-mode]', 'oracle');
    await page.selectOption('[data-testid=oracle-reward]', 'brightness');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled ?? 0) >= 12, null, opts);
    await page.selectOption('[data-testid=label-mode]', 'human');
    await page.waitForFunction(() => document.querySelector('[data-testid=training-controls]')?.dataset.status === 'idle', null, opts);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=pair-image]').length === 2, null, opts);
  }

  // ---- 1280×720: the hero (prompt, both images, vote buttons) is visible without scrolling
  await page.setViewportSize({ width: 1280, height: 720 });
  const boxes = await page.$$eval('[data-testid=pair-image], .vote-buttons button', (els) => els.map((el) => el.getBoundingClientRect().toJSON()));
  for (const b of boxes) assert.ok(b.bottom <= 720 && b.right <= 1280 && b.top >= 0, `hero element outside 1280×720: ${JSON.stringify(b)}`);
  const imageBoxes = boxes.slice(0, 2);
  assert.ok(imageBoxes.every((b) => b.width >= 256), `pair images are large (${imageBoxes.map((b) => b.width).join(', ')} px wide)`);
  const rendering = await page.$eval('[data-testid=pair-image]', (el) => getComputedStyle(el).imageRendering);
  assert.equal(rendering, 'pixelated', '32×32 images are upscaled crisply');

  // ---- every screen at desktop and tablet sizes: no sideways scrolling
  const views = await tabs(page);
  assert.ok(views.length >= 6, `tabs: ${views.join(', ')}`);
  for (const size of [
    { width: 1280, height: 720, name: 'desktop' },
    { width: 820, height: 1180, name: 'tablet' },
    { width: 1180, height: 820, name: 'tablet-landscape' },
  ]) {
    await page.setViewportSize(size);
    for (const view of views) {
      await openTab(page, view);
      await page.waitForTimeout(150); // charts size themselves to their box
      assert.equal(await overflowX(page), 0, `${view} at ${size.width}×${size.height} scrolls sideways`);
      if (size.name === 'desktop') await shot(page, view);
      else if (view === 'label') await shot(page, `label-${size.name}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 720 });
  await openTab(page, 'label');

  // ---- light and dark follow the system scheme (text stays readable: contrast ≥ 7:1)
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    const { bg, fg } = await page.evaluate(() => ({ bg: getComputedStyle(document.body).backgroundColor, fg: getComputedStyle(document.body).color }));
    const [lb, lf] = [luminance(bg), luminance(fg)];
    assert.ok(scheme === 'light' ? lb > 0.8 : lb < 0.05, `${scheme} background ${bg} (luminance ${lb.toFixed(3)})`);
    const contrast = (Math.max(lb, lf) + 0.05) / (Math.min(lb, lf) + 0.05);
    assert.ok(contrast >= 7, `${scheme}: text ${fg} on ${bg} has contrast ${contrast.toFixed(1)}:1`);
    if (scheme === 'dark') await shot(page, 'label-dark');
  }
  await page.emulateMedia({ colorScheme: 'light' });

  // ---- the profile panel (switch, create, rename, blend sliders) opens over the page inside the window, no sideways scroll
  await page.click('[data-testid=profiles] > summary');
  const panel = await page.$eval('.profiles-panel', (el) => el.getBoundingClientRect().toJSON());
  assert.ok(panel.left >= 0 && panel.right <= 1280 && panel.height > 0, `profile panel inside the window: ${JSON.stringify(panel)}`);
  assert.equal(await overflowX(page), 0, 'the open profile panel scrolls the page sideways');
  await shot(page, 'profiles');
  await page.click('[data-testid=profiles] > summary');

  // ---- keyboard focus is visible: Tab onto the first tab button draws an outline
  await page.click('h1');
  let focused = null;
  for (let i = 0; i < 40 && !focused?.tab; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => {
      const el = document.activeElement;
      const cs = el ? getComputedStyle(el) : null;
      return { tab: el?.dataset?.testid?.startsWith('tab-') ?? false, style: cs?.outlineStyle, width: parseFloat(cs?.outlineWidth ?? '0') };
    });
  }
  assert.ok(focused?.tab, 'Tab reaches the screen tabs');
  assert.ok(focused.style !== 'none' && focused.width >= 2, `focused tab outline: ${focused.style} ${focused.width}px`);
  ctx.log(`look: ${views.length} screens fit 1280×720, 820×1180 and 1180×820; hero images ${imageBoxes[0].width} px; light/dark; focus ring ${focused.width}px${SHOTS ? `; screenshots in ${shotDir}` : ''}`);
});
