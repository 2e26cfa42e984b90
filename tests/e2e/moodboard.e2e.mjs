// Browser test of the Moodboard on wasm with tiny-test: PNG and JPEG files of any size go in through the file input (liked, then disliked), a corrupt file and a text file are refused by name while nothing else changes, a mark and a caption are changed, Train runs Diffusion-DPO steps in the worker (the LoRA step count moves by exactly the steps asked for, a checkpoint is saved), everything is there after a reload, and a Pick-a-Pic JSONL adds its preferred images as liked and the others as disliked (ties skipped). With SCREENSHOTS=1 (as `npm run screenshots`) it writes docs/screenshots/moodboard-board.png for the README.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { assert, openStudio, openTab, readCanvasesOf, readIdb, test, WAIT_MS, waitForPhase } from './harness.mjs';

const MOODBOARD_DB = 'd3po-studio-moodboard-v1';
const opts = { timeout: WAIT_MS, polling: 100 };

/** Emoji from the dataset (`npm run data`) upscaled 4× (any size works), the brightest and darkest of the first 300; synthetic discs without the dataset. */
function pictures(root) {
  const json = path.join(root, 'data/emoji32.json');
  const bin = path.join(root, 'data/emoji32.bin');
  const up = (rgb, k) => {
    const p = new PNG({ width: 32 * k, height: 32 * k });
    for (let y = 0; y < 32 * k; y++) for (let x = 0; x < 32 * k; x++) {
      const s = (Math.floor(y / k) * 32 + Math.floor(x / k)) * 3;
      p.data.set([rgb[s], rgb[s + 1], rgb[s + 2], 255], (y * 32 * k + x) * 4);
    }
    return p;
  };
  let images;
  if (fs.existsSync(json) && fs.existsSync(bin)) {
    const index = JSON.parse(fs.readFileSync(json, 'utf8'));
    const pixels = fs.readFileSync(bin);
    const recs = index.records.slice(0, 300).map((r) => {
      const rgb = pixels.subarray(r.index * 3072, (r.index + 1) * 3072);
      return { name: r.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'), rgb, mean: rgb.reduce((a, b) => a + b, 0) / 3072 };
    });
    recs.sort((a, b) => b.mean - a.mean);
    images = { liked: recs.slice(0, 3), disliked: recs.slice(-3) };
  } else {
    const disc = (bright, k) => {
      const rgb = new Uint8Array(3072).fill(255);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if ((x - 16) ** 2 + (y - 16) ** 2 < 150) rgb.set(bright ? [250, 220 - 20 * k, 90] : [40 + 10 * k, 30, 60], (y * 32 + x) * 3);
      return { name: `${bright ? 'bright' : 'dark'}-disc-${k}`, rgb };
    };
    images = { liked: [0, 1, 2].map((k) => disc(true, k)), disliked: [0, 1, 2].map((k) => disc(false, k)) };
  }
  const asPng = (r) => ({ name: `${r.name}.png`, mimeType: 'image/png', buffer: PNG.sync.write(up(r.rgb, 4)) });
  const asJpeg = (r) => ({ name: `${r.name}.jpg`, mimeType: 'image/jpeg', buffer: Buffer.from(jpeg.encode({ data: up(r.rgb, 3).data, width: 96, height: 96 }, 92).data) });
  return { liked: [asPng(images.liked[0]), asPng(images.liked[1]), asJpeg(images.liked[2])], disliked: [asPng(images.disliked[0]), asJpeg(images.disliked[1]), asPng(images.disliked[2])] };
}

const counts = (page) => page.$eval('[data-testid=moodboard-counts]', (el) => [Number(el.dataset.liked), Number(el.dataset.disliked)]);
const loraStep = (page) => page.$eval('[data-testid=moodboard-lora-step]', (el) => Number(el.textContent));

test('moodboard: add liked and disliked images, a corrupt file is refused, mark, caption, train Diffusion-DPO steps, reload', async (ctx) => {
  const { page } = await openStudio(ctx, '/?backend=wasm&model=tiny-test');
  await waitForPhase(page, 'ready');
  await openTab(page, 'moodboard');
  const files = pictures(ctx.root);

  // ---- liked images (PNG 128×128 and JPEG 96×96), then disliked ones with a corrupt PNG and a text file among them
  await page.setInputFiles('[data-testid=moodboard-input]', files.liked);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=moodboard-item]').length === 3, null, opts);
  assert.deepEqual(await counts(page), [3, 0]);
  assert.match(await page.textContent('[data-testid=moodboard-message]'), /Added 3 images as liked\./);
  assert.equal(await page.$eval('[data-testid=moodboard-train]', (b) => b.disabled), true, 'no disliked image yet: nothing to train');
  await page.check('[data-testid=moodboard-add-disliked]');
  const corrupt = { name: 'corrupt.png', mimeType: 'image/png', buffer: Buffer.concat([PNG.sync.write(new PNG({ width: 8, height: 8 })).subarray(0, 33), Buffer.alloc(200, 7)]) };
  const text = { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') };
  await page.setInputFiles('[data-testid=moodboard-input]', [files.disliked[0], corrupt, files.disliked[1], text, files.disliked[2]]);
  await page.waitForSelector('[data-testid=moodboard-error]', opts);
  const error = await page.textContent('[data-testid=moodboard-error]');
  assert.match(error, /^2 files not added: /);
  assert.match(error, /corrupt\.png could not be decoded as a PNG .*save it again as PNG and add the new file/);
  assert.match(error, /notes\.txt is not a PNG or JPEG image\. Add PNG or JPEG files/);
  assert.deepEqual(await counts(page), [3, 3], 'the good files of the same drop were added');
  const stored = await readIdb(page, MOODBOARD_DB);
  assert.equal(stored.length, 6);
  assert.ok(stored.every((r) => r.size === 32 && r.rgba.length === 32 * 32 * 4), 'stored at the model size');
  const thumbs = await readCanvasesOf(page, '[data-testid=moodboard-image]');
  assert.equal(thumbs.length, 6);
  for (const t of thumbs) {
    assert.equal(t.width, 32);
    assert.ok(t.rgba.every((v, i) => i % 4 !== 3 || v === 255), 'thumbnails are opaque (composited on white)');
  }

  // ---- a mark and a caption change, stored
  const firstId = await page.$eval('[data-testid=moodboard-item]', (el) => el.dataset.id);
  await page.click(`[data-id="${firstId}"] [data-testid=moodboard-dislike]`);
  await page.waitForFunction(() => document.querySelector('[data-testid=moodboard-counts]')?.dataset.liked === '2', null, opts);
  await page.click(`[data-id="${firstId}"] [data-testid=moodboard-like]`);
  await page.waitForFunction(() => document.querySelector('[data-testid=moodboard-counts]')?.dataset.liked === '3', null, opts);
  await page.fill(`[data-id="${firstId}"] [data-testid=moodboard-caption]`, 'red heart');
  await page.press(`[data-id="${firstId}"] [data-testid=moodboard-caption]`, 'Enter');
  await page.waitForFunction(async (id) => {
    const db = await new Promise((r) => {
      const o = indexedDB.open('d3po-studio-moodboard-v1');
      o.onsuccess = () => r(o.result);
    });
    const rec = await new Promise((r) => {
      const g = db.transaction('kv').objectStore('kv').get(['mood', id]);
      g.onsuccess = () => r(g.result);
    });
    db.close();
    return rec?.caption === 'red heart';
  }, firstId, opts);

  // ---- train 3 Diffusion-DPO steps: the LoRA step moves by exactly 3, the status line says what it learns from
  await page.click('[data-testid=moodboard-advanced] > summary');
  await page.fill('[data-testid=mb-steps]', '3');
  await page.fill('[data-testid=mb-pairsPerStep]', '2');
  // Shared captions are the default; the switch is stored with the settings (zustand persist in localStorage).
  assert.equal(await page.isChecked('[data-testid=mb-sharedCaption]'), true);
  await page.uncheck('[data-testid=mb-sharedCaption]');
  const storedShared = () => page.evaluate(() => Object.values(localStorage).map((v) => { try { return JSON.parse(v); } catch { return null; } }).find((v) => v?.state?.settings?.moodboard)?.state.settings.moodboard.sharedCaption);
  await page.waitForFunction(() => Object.values(localStorage).some((v) => v.includes('"sharedCaption":false')));
  assert.equal(await storedShared(), false);
  await page.check('[data-testid=mb-sharedCaption]');
  await page.waitForFunction(() => Object.values(localStorage).some((v) => v.includes('"sharedCaption":true')));
  assert.match(await page.textContent('[data-testid=moodboard-train]'), /^Train 3 steps$/);
  const before = await loraStep(page);
  const seen = new Set();
  await page.click('[data-testid=moodboard-train]');
  const t0 = Date.now();
  for (;;) {
    const st = await page.evaluate(() => ({
      status: document.querySelector('[data-testid=moodboard-training]')?.dataset.status,
      progress: document.querySelector('[data-testid=moodboard-progress]')?.textContent ?? '',
      error: document.querySelector('[data-testid=moodboard-error], [data-testid=fatal]')?.textContent ?? null,
    }));
    assert.equal(st.error, null, `training failed: ${st.error}`);
    if (st.status !== 'idle') seen.add(st.progress.replace(/ · LoRA step \d+$/, ''));
    if (st.status === 'idle' && (await loraStep(page)) !== before) break;
    if (Date.now() - t0 > WAIT_MS) throw new Error(`training did not finish: ${JSON.stringify(st)}`);
    await page.waitForTimeout(50);
  }
  assert.equal(await loraStep(page), before + 3, 'three optimizer steps');
  assert.equal(await page.$eval('[data-testid=lora-badge]', (el) => Number(el.dataset.step)), before + 3);
  assert.match(await page.textContent('[data-testid=moodboard-message]'), /^Learned from 3 liked and 3 disliked images: 3 steps; now at step \d+\.$/);
  ctx.log(`status lines seen while training: ${[...seen].join(' | ') || '(too fast to catch)'}`);
  assert.ok([...seen].every((s) => /^Learning from 3 liked and 3 disliked images… step \d \/ 3$/.test(s)), `status line: ${[...seen]}`);
  const ckpts = await readIdb(page, 'd3po-studio-checkpoints-v1');
  assert.ok(ckpts.some((c) => c.step === before + 3 && /moodboard/.test(c.note ?? '')), 'the run ends on a checkpoint');

  if (process.env.SCREENSHOTS === '1') {
    const file = path.join(ctx.root, 'docs/screenshots/moodboard-board.png');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot of a scrolled page draws the sticky tab bar mid-page
    await page.screenshot({ path: file, fullPage: true });
    ctx.log(`wrote ${file}`);
  }

  // ---- reload: the images, marks and caption are still there; the adapter resumes from the checkpoint
  await page.reload();
  await waitForPhase(page, 'ready');
  await openTab(page, 'moodboard');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=moodboard-item]').length === 6, null, opts);
  assert.deepEqual(await counts(page), [3, 3]);
  assert.equal(await page.$eval(`[data-id="${firstId}"] [data-testid=moodboard-caption]`, (el) => el.value), 'red heart');
  assert.equal(await loraStep(page), before + 3);
  await page.click(`[data-id="${firstId}"] [data-testid=moodboard-remove]`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=moodboard-item]').length === 5, null, opts);
  assert.equal((await readIdb(page, MOODBOARD_DB)).length, 5, 'removal is stored');

  // ---- Pick-a-Pic pairs (the Data tab's JSONL format): the preferred image liked, the other disliked, captioned; a tie skipped
  const jpg = (rgb) => Buffer.from(jpeg.encode({ data: Buffer.alloc(24 * 24 * 4).map((_, i) => (i % 4 === 3 ? 255 : rgb[i % 4])), width: 24, height: 24 }, 92).data).toString('base64');
  const row = (caption, label0, a, b, uid) => ({ caption, jpg_0: jpg(a), jpg_1: jpg(b), label_0: label0, label_1: 1 - label0, model_0: 'm', model_1: 'm', image_0_uid: `${uid}-0`, image_1_uid: `${uid}-1`, best_image_uid: label0 === 0.5 ? '' : `${uid}-${label0 === 1 ? 0 : 1}`, are_different: true, has_label: true, ranking_id: 0, user_id: 1, created_at: '2026-12-07T00:00:00Z', num_example_per_prompt: 1 });
  const jsonl = [row('sun', 0, [20, 20, 160], [250, 220, 40], 'pp1'), row('dog face', 0.5, [9, 9, 9], [99, 99, 99], 'pp2')].map((r) => JSON.stringify(r)).join('\n') + '\n';
  await page.setInputFiles('[data-testid=moodboard-import-pairs]', { name: 'prefs.jsonl', mimeType: 'application/json', buffer: Buffer.from(jsonl) });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=moodboard-item]').length === 7, null, opts);
  assert.match(await page.textContent('[data-testid=moodboard-message]'), /^Added 2 images from 1 Pick-a-Pic pair of prefs\.jsonl \(1 tie skipped\): 1 liked, 1 disliked\.$/);
  const imported = (await readIdb(page, MOODBOARD_DB)).filter((r) => /^pp1-/.test(r.name)).sort((x, y) => (x.name < y.name ? -1 : 1));
  assert.deepEqual(imported.map((r) => [r.name, r.liked, r.caption]), [['pp1-0.jpg', false, 'sun'], ['pp1-1.jpg', true, 'sun']]);
  ctx.log('Pick-a-Pic import: 1 pair → 1 liked + 1 disliked image, the tie skipped');
});
