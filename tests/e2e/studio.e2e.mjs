// Browser test of the studio flow on wasm with tiny-test: the prompt hint for words the model does not know, label by keyboard and mouse, undo, train, watch the charts, reload (labels, curve and LoRA survive), export the LoRA (unzip the download: weights with ModelSpec metadata, model card, thumbnail), reject a mismatched LoRA, compare base vs tuned, best of 4, oracle clicks, reward-driven PRDP rounds, multi-task DDPO with the pretraining-loss term, human ratings (keyboard) as the PRDP reward.
import fs from 'node:fs';
import { unzipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { assert, assertRealImages, cspViolations, openStudio, openTab, readCanvasesOf, readIdb, safetensorsHeader, test, trainByHand, WAIT_MS, waitForPhase } from './harness.mjs';

const LABELS_DB = 'd3po-studio-labels-v1';
const opts = { timeout: WAIT_MS, polling: 100 };

/** Waits until a pair is on screen with both images drawn; returns its id and which trajectory is on the left. */
async function waitForPair(page, notId = '') {
  await page.waitForFunction(
    (prev) => {
      const p = document.querySelector('[data-testid=pair-panel]');
      return (p?.dataset.shown === 'true' && p.dataset.pairId !== prev) || document.querySelector('[data-testid=labeling-error], [data-testid=fatal]') != null;
    },
    notId,
    opts,
  );
  const err = await page.evaluate(() => document.querySelector('[data-testid=labeling-error], [data-testid=fatal]')?.textContent ?? null);
  assert.equal(err, null, `pair generation failed: ${err}`);
  return page.$eval('[data-testid=pair-panel]', (el) => el.dataset.pairId);
}

async function counter(page) {
  return page.$eval('[data-testid=label-counter]', (el) => ({ labeled: Number(el.dataset.labeled), ties: Number(el.dataset.ties), queue: Number(el.dataset.queue) }));
}

async function waitForCounter(page, labeled) {
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled) === n, labeled, opts);
}

/** Labels from IndexedDB, keyed by pair id. */
async function storedLabels(page) {
  const records = await readIdb(page, LABELS_DB);
  return new Map(records.map((r) => [r.pairId, r]));
}

async function waitTrainedTo(page, step) {
  await page.waitForFunction(
    (n) => {
      const c = document.querySelector('[data-testid=training-controls]');
      return (c?.dataset.status === 'idle' && Number(c.dataset.step) >= n) || document.querySelector('[data-testid=train-error], [data-testid=fatal]') != null;
    },
    step,
    opts,
  );
  const err = await page.evaluate(() => document.querySelector('[data-testid=train-error], [data-testid=fatal]')?.textContent ?? null);
  assert.equal(err, null, `training failed: ${err}`);
}

/** Sets a React-controlled range input (fill() does not support ranges). */
function setRange(page, selector, value) {
  return page.$eval(
    selector,
    (el, v) => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, String(v));
      el.dispatchEvent(new Event('input', { bubbles: true }));
    },
    value,
  );
}

test('studio: label (keys + mouse), undo, train, charts, reload keeps labels/curve/LoRA, export + import LoRA, compare', async (ctx) => {
  const t0 = Date.now();
  const lap = (what) => ctx.log(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const s = await openStudio(ctx, '/?backend=wasm&model=tiny-test');
  const { page } = s;
  await waitForPhase(page, 'ready');
  assert.equal(await page.textContent('[data-testid=backend-name]'), 'wasm');
  // This test trains by hand (Advanced → Train N steps); automatic rounds are tested in taste.e2e.mjs.
  await page.uncheck('[data-testid=auto-train]');
  // Vote buttons stay disabled until both images are drawn.
  if ((await page.$eval('[data-testid=pair-panel]', (el) => el.dataset.shown)) !== 'true') {
    assert.equal(await page.$eval('[data-testid=vote-a]', (el) => el.disabled), true, 'vote buttons must be disabled before the pair is shown');
  }

  // ---- prompt words the model does not know (tiny-test: red, heart, grinning, face, dog, pizza; 6 words read)
  await openTab(page, 'generate');
  await page.fill('[data-testid=prompt]', 'Red heart, fluent style');
  const hint = await page.waitForSelector('[data-testid=prompt-words]', { timeout: 5000 });
  assert.match(await hint.textContent(), /does not know “fluent”, “style”: it reads them as an unknown word/);
  await page.fill('[data-testid=prompt]', 'red heart');
  await page.waitForSelector('[data-testid=prompt-words]', { state: 'detached', timeout: 5000 });
  await page.fill('[data-testid=prompt]', 'red heart dog face pizza red grinning face');
  assert.match(await (await page.waitForSelector('[data-testid=prompt-words]')).textContent(), /Only the first 6 words are read; 2 more are ignored/);
  await page.fill('[data-testid=prompt]', '');
  await openTab(page, 'label');
  await page.click('.prompts-drawer > summary');
  await page.fill('[data-testid=new-prompt]', 'zebra face');
  assert.match(await (await page.waitForSelector('[data-testid=new-prompt-words]')).textContent(), /does not know “zebra”: it reads it as/);
  await page.fill('[data-testid=new-prompt]', '');
  await page.click('.prompts-drawer > summary');

  // ---- label: ← (A), 2 (B), mouse "A is better", T (tie)
  const votes = [];
  let id = await waitForPair(page);
  lap('first pair shown');
  for (const [how, choice] of [
    ['ArrowLeft', 'A'],
    ['2', 'B'],
    ['click', 'A'],
    ['t', 'tie'],
  ]) {
    if (how === 'click') await page.click('[data-testid=vote-a]');
    else await page.keyboard.press(how);
    votes.push({ pairId: id, choice });
    await waitForCounter(page, votes.length);
    if (votes.length < 4) id = await waitForPair(page, id);
  }
  assert.deepEqual((await counter(page)).ties, 1);
  const labels = await storedLabels(page);
  assert.equal(labels.size, 4, 'every vote is in IndexedDB');
  for (const v of votes) {
    const l = labels.get(v.pairId);
    assert.ok(l, `no stored label for ${v.pairId}`);
    // Stored in trajectory order: A (left) is trajectory 0 exactly when leftIsFirst.
    const expected = v.choice === 'tie' ? 'tie' : (v.choice === 'A') === l.leftIsFirst ? 0 : 1;
    assert.equal(l.vote, expected, `vote for ${v.choice} with leftIsFirst=${l.leftIsFirst}`);
    assert.equal(l.modelId, 'tiny-test');
  }
  lap('4 votes stored');

  // ---- undo (Backspace) removes the tie and shows its pair again
  await page.keyboard.press('Backspace');
  await waitForCounter(page, 3);
  assert.deepEqual((await counter(page)).ties, 0);
  await page.waitForFunction((want) => document.querySelector('[data-testid=pair-panel]')?.dataset.pairId === want, votes[3].pairId, opts);
  const afterUndo = await storedLabels(page);
  assert.equal(afterUndo.size, 3);
  assert.ok(!afterUndo.has(votes[3].pairId), 'undo deletes the last label from IndexedDB');

  // ---- train 2 steps on the 3 A/B labels (from the Train screen: leaving Label cancels queued pairs); the curve and the checkpoint follow
  await openTab(page, 'train');
  await trainByHand(page, 2);
  await waitTrainedTo(page, 2);
  lap('trained 2 steps');
  await page.waitForFunction(() => document.querySelector('[data-testid=chart-loss]')?.dataset.points === '2', null, opts);
  const points = await page.$$eval('[data-testid^=chart-]', (els) => els.map((e) => Number(e.dataset.points)));
  assert.ok(points.length >= 8 && points.every((p) => p === 2), `every chart shows 2 steps: ${points}`);
  assert.equal(await page.$eval('[data-testid=chart-loss] canvas', (c) => c.width > 0), true, 'uPlot drew a canvas');
  const ckptSteps = await page.$$eval('[data-testid=checkpoint-list] li', (lis) => lis.map((li) => Number(li.dataset.checkpointStep)));
  assert.ok(ckptSteps.includes(2), `a checkpoint at step 2: ${ckptSteps}`);

  // ---- reload: labels, curve and LoRA (restored from the checkpoint) are still there
  await page.reload();
  await waitForPhase(page, 'ready');
  lap('reloaded');
  assert.equal(await page.$eval('[data-testid=lora-badge]', (el) => `${el.dataset.step}/${el.dataset.source}`), '2/checkpoint');
  await page.waitForSelector('[data-testid=label-counter]');
  assert.equal((await counter(page)).labeled, 3, 'labels survive a reload');
  await openTab(page, 'train');
  await page.waitForFunction(() => document.querySelector('[data-testid=chart-loss]')?.dataset.points === '2', null, opts);

  // ---- export the LoRA (PEFT): one zip with the weights, adapter_config.json, the model card and the thumbnail
  await openTab(page, 'data');
  await page.fill('[data-testid=export-title]', 'Bright | test');
  const [zipDownload] = await Promise.all([page.waitForEvent('download', opts), page.click('[data-testid=export-lora]')]);
  assert.equal(zipDownload.suggestedFilename(), 'bright-test-peft.zip');
  const files = unzipSync(new Uint8Array(fs.readFileSync(await zipDownload.path()))); // fflate, not the studio's zip reader
  assert.deepEqual(Object.keys(files).sort(), ['README.md', 'adapter_config.json', 'pytorch_lora_weights.safetensors', 'thumbnail.jpg']);
  const bytes = files['pytorch_lora_weights.safetensors'];
  const { header } = safetensorsHeader(bytes);
  const keys = Object.keys(header).filter((k) => k !== '__metadata__');
  const aKeys = keys.filter((k) => /^unet\..+\.lora_A\.weight$/.test(k));
  const bKeys = keys.filter((k) => /^unet\..+\.lora_B\.weight$/.test(k));
  assert.ok(aKeys.length > 0 && aKeys.length === bKeys.length, `PEFT keys: ${keys.slice(0, 4)}`);
  const [r] = header[aKeys[0]].shape;
  assert.equal(r, 4, 'lora_A is [r, in] with r = 4');
  const meta = header.__metadata__;
  assert.equal(meta.studio_base_model, 'tiny-test');
  assert.equal(meta.studio_step, '2');
  assert.equal(meta['modelspec.title'], 'Bright | test');
  assert.equal(meta['modelspec.architecture'], 'tiny-test/lora');
  assert.equal(meta.studio_clicks, '3', 'the three A/B votes of this test');
  assert.equal(meta['modelspec.thumbnail'], `data:image/jpeg;base64,${Buffer.from(files['thumbnail.jpg']).toString('base64')}`);
  assert.deepEqual([...files['thumbnail.jpg'].subarray(0, 2)], [0xff, 0xd8], 'the thumbnail is a JPEG');
  const card = new TextDecoder().decode(files['README.md']);
  assert.match(card, /^---\n/);
  assert.ok(card.includes('# Bright | test') && card.includes('| clicks (A/B votes) | 3 |') && card.includes('![samples of the fixed gallery prompts with this adapter](thumbnail.jpg)'), card.slice(0, 400));
  const adapterConfig = JSON.parse(new TextDecoder().decode(files['adapter_config.json']));
  assert.equal(adapterConfig.peft_type, 'LORA');
  assert.equal(adapterConfig.r, 4);
  lap('exported');

  // ---- labels as Pick-a-Pic v2 JSONL (one row per labeled pair) and a full backup zip
  const [jsonlDownload] = await Promise.all([page.waitForEvent('download', opts), page.click('[data-testid=export-labels-jsonl]')]);
  const rows = fs.readFileSync(await jsonlDownload.path(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  assert.equal(rows.length, 3, 'one Pick-a-Pic row per labeled pair');
  for (const row of rows) {
    assert.ok(typeof row.caption === 'string' && row.caption.length > 0);
    assert.ok([0, 1].includes(row.label_0) && row.label_0 + row.label_1 === 1, `label_0/label_1 of an A/B vote: ${row.label_0}/${row.label_1}`);
    assert.ok(Buffer.from(row.jpg_0, 'base64').subarray(0, 2).equals(Buffer.from([0xff, 0xd8])), 'jpg_0 is base64 JPEG');
  }
  // The same rows as Parquet, read with hyparquet (not the studio's writer): one row per labeled pair, Pick-a-Pic columns.
  const [parquetDownload] = await Promise.all([page.waitForEvent('download', opts), page.click('[data-testid=export-labels-parquet]')]);
  assert.match(parquetDownload.suggestedFilename(), /^d3po-labels-.+\.parquet$/);
  const pq = new Uint8Array(fs.readFileSync(await parquetDownload.path()));
  const pqRows = await parquetReadObjects({ file: pq.buffer.slice(pq.byteOffset, pq.byteOffset + pq.byteLength), utf8: false });
  assert.deepEqual(pqRows.map((r) => [r.caption, r.label_0]).sort(), rows.map((r) => [r.caption, r.label_0]).sort());
  assert.deepEqual([...pqRows[0].jpg_0.subarray(0, 2)], [0xff, 0xd8], 'jpg_0 holds JPEG bytes');
  const [backup] = await Promise.all([page.waitForEvent('download', opts), page.click('[data-testid=export-all]')]);
  const zip = fs.readFileSync(await backup.path());
  assert.equal(zip.subarray(0, 2).toString('latin1'), 'PK', 'the backup is a zip');
  lap('labels + backup exported');

  // ---- review labeled pairs: 3 votes newest first with both images drawn; re-label the newest as a tie, then delete it
  await page.waitForFunction(() => document.querySelector('[data-testid=labeled-pairs]')?.dataset.total === '3', null, opts);
  const thumbs = await readCanvasesOf(page, '[data-testid=labeled-image]');
  assert.equal(thumbs.length, 6, 'two images per labeled pair');
  assertRealImages(thumbs, { count: 6, size: 32 });
  const newest = await page.getAttribute('[data-testid=labeled-pair] >> nth=0', 'data-pair-id');
  await page.click('[data-testid=labeled-pair] >> nth=0 >> [data-testid=relabel-tie]');
  await page.waitForFunction((id) => document.querySelector(`[data-testid=labeled-pair][data-pair-id="${id}"]`)?.dataset.choice === 'tie', newest, opts);
  assert.equal((await storedLabels(page)).get(newest).vote, 'tie', 'the changed vote is stored');
  await page.click('[data-testid=labeled-pair] >> nth=0 >> [data-testid=delete-label]');
  await page.waitForFunction(() => document.querySelector('[data-testid=labeled-pairs]')?.dataset.total === '2', null, opts);
  assert.ok(!(await storedLabels(page)).has(newest), 'the deleted vote is gone from IndexedDB');
  lap('labeled pairs reviewed');

  // ---- a LoRA whose shapes do not fit gets a clear error and changes nothing
  const badKey = aKeys[0];
  const [, inFeatures] = header[badKey].shape;
  const badHeader = { [badKey]: { dtype: 'F32', shape: [4, inFeatures + 1], data_offsets: [0, 16 * (inFeatures + 1)] } };
  const outFeatures = header[bKeys.find((k) => k.startsWith(badKey.replace('lora_A.weight', '')))].shape[0];
  badHeader[badKey.replace('lora_A', 'lora_B')] = { dtype: 'F32', shape: [outFeatures, 4], data_offsets: [16 * (inFeatures + 1), 16 * (inFeatures + 1) + 16 * outFeatures] };
  const json = Buffer.from(JSON.stringify(badHeader));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const bad = Buffer.concat([len, json, Buffer.alloc(16 * (inFeatures + 1) + 16 * outFeatures)]);
  await page.setInputFiles('[data-testid=import-lora]', { name: 'other-model.safetensors', mimeType: 'application/octet-stream', buffer: bad });
  await page.waitForSelector('[data-testid=data-error]', opts);
  const message = await page.textContent('[data-testid=data-error]');
  assert.match(message, /other-model\.safetensors/);
  assert.match(message, /unchanged/);
  assert.equal(await page.$eval('[data-testid=lora-badge]', (el) => el.dataset.step), '2', 'a rejected import leaves the adapter alone');

  // ---- compare: base vs tuned at scale 1 render; at scale 0 tuned equals base pixel for pixel
  await openTab(page, 'compare');
  await page.fill('[data-testid=compare-prompts]', 'red heart');
  await page.fill('[data-testid=compare-seeds]', '5');
  await page.click('[data-testid=compare-run]');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-table]')?.dataset.runs === '1' || document.querySelector('[data-testid=compare-error]'), null, opts);
  assert.equal(await page.$('[data-testid=compare-error]'), null, 'compare failed');
  const base = await readCanvasesOf(page, 'canvas[data-testid=compare-base]');
  const tuned = await readCanvasesOf(page, 'canvas[data-testid=compare-tuned]');
  assertRealImages(base, { count: 1, size: 32 });
  assertRealImages(tuned, { count: 1, size: 32 });
  await setRange(page, '[data-testid=compare-scale]', 0);
  await page.click('[data-testid=compare-run]');
  await page.waitForFunction(() => document.querySelector('[data-testid=compare-table]')?.dataset.runs === '2' || document.querySelector('[data-testid=compare-error]'), null, opts);
  assert.equal(await page.$('[data-testid=compare-error]'), null, 'compare at scale 0 failed');
  const base0 = await readCanvasesOf(page, 'canvas[data-testid=compare-base]');
  const tuned0 = await readCanvasesOf(page, 'canvas[data-testid=compare-tuned]');
  assert.deepEqual(base0, base, 'the base image depends only on prompt and seed');
  assert.deepEqual(tuned0, base0, 'at LoRA scale 0 the tuned image is the base image');
  lap('compared');

  // ---- the exported file imports back (a new lineage: step 0, source imported)
  await openTab(page, 'data');
  await page.setInputFiles('[data-testid=import-lora]', { name: 'pytorch_lora_weights.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
  await page.waitForFunction(() => document.querySelector('[data-testid=lora-badge]')?.dataset.source === 'imported', null, opts);
  assert.equal(await page.$('[data-testid=fatal]'), null);
  lap('imported');

  // ---- best of 4: one click on the best image labels its 3 pairs (stored together, one vote time)
  await openTab(page, 'label');
  await page.check('[data-testid=grid-mode]');
  await page.waitForFunction(() => document.querySelector('[data-testid=grid-panel]')?.dataset.shown === 'true' || document.querySelector('[data-testid=labeling-error]'), null, opts);
  assert.equal(await page.$('[data-testid=labeling-error]'), null, 'grid generation failed');
  assert.equal((await page.$$('canvas[data-testid=grid-image]')).length, 4);
  const before = await storedLabels(page);
  await page.click('[data-testid=grid-pick-2]');
  await waitForCounter(page, before.size + 3);
  const after = [...(await storedLabels(page)).values()].filter((l) => !before.has(l.pairId));
  assert.equal(after.length, 3, 'best of 4 stores 3 labels');
  assert.equal(new Set(after.map((l) => l.time)).size, 1, 'one click, one vote time');
  lap('best of 4');

  // ---- oracle clicks: the brightness oracle labels a pair by itself (annotator oracle:brightness, the brighter side wins); Human clicks stops it
  await page.uncheck('[data-testid=grid-mode]');
  const beforeOracle = await storedLabels(page);
  await page.selectOption('[data-testid=label-mode]', 'oracle');
  await page.selectOption('[data-testid=oracle-reward]', 'brightness');
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled) > n || document.querySelector('[data-testid=labeling-error]'), beforeOracle.size, opts);
  assert.equal(await page.$('[data-testid=labeling-error]'), null, 'the oracle failed');
  await page.waitForFunction(() => document.querySelector('[data-testid=oracle-result]')?.dataset.choice !== '', null, opts);
  const oracleResult = await page.textContent('[data-testid=oracle-result]');
  const [, ra, rb, picked] = oracleResult.match(/brightness\): A ([0-9.]+) · B ([0-9.]+) → (A is better|B is better|tie)/) ?? [];
  assert.ok(picked, `oracle result line: ${oracleResult}`);
  assert.equal(picked, Number(ra) > Number(rb) ? 'A is better' : Number(ra) < Number(rb) ? 'B is better' : 'tie', 'the oracle picks the brighter side');
  await page.selectOption('[data-testid=label-mode]', 'human');
  const byOracle = [...(await storedLabels(page)).values()].filter((l) => !beforeOracle.has(l.pairId));
  assert.ok(byOracle.length >= 1, 'the oracle stored a label');
  for (const l of byOracle) assert.equal(l.annotator, 'oracle:brightness');
  const settled = (await counter(page)).labeled;
  await page.waitForTimeout(1500); // human mode: no more automatic votes
  assert.equal((await counter(page)).labeled, settled, 'switching to Human clicks stops the oracle');
  ctx.log(`oracle: ${byOracle.length} label(s); ${oracleResult ?? ''}`);
  lap('oracle clicks');

  // ---- reward-driven PRDP: no pairs, 2 rounds of K = 3 images scored by brightness; the round's mean/std are recomputed from the canvases
  await openTab(page, 'train');
  const stepBefore = Number(await page.textContent('[data-testid=lora-step]'));
  const lossPoints = () => page.evaluate(() => Number(document.querySelector('[data-testid=chart-loss]')?.dataset.points ?? 0));
  const pointsBefore = await lossPoints();
  await page.check('[data-testid=dashboard-pause]'); // the charts stay frozen while the rounds run
  await openTab(page, 'label');
  await page.selectOption('[data-testid=label-mode]', 'reward');
  await page.selectOption('[data-testid=reward-method]', 'prdp');
  await page.selectOption('[data-testid=reward-name]', 'brightness');
  await page.fill('[data-testid=reward-rounds]', '2');
  await page.fill('[data-testid=reward-imagesPerPrompt]', '3');
  await page.click('[data-testid=reward-start]');
  await page.waitForFunction(
    () => (document.querySelector('[data-testid=reward-samples]')?.dataset.round === '2' && document.querySelector('[data-testid=reward-training]')?.dataset.status === 'idle') || document.querySelector('[data-testid=train-error], [data-testid=fatal]'),
    null,
    opts,
  );
  assert.equal(await page.$('[data-testid=train-error]'), null, 'reward-driven training failed');
  const shown = await readCanvasesOf(page, '[data-testid=reward-sample]');
  assert.equal(shown.length, 3, 'the round shows its K = 3 images');
  const bright = shown.map((img) => {
    let sum = 0;
    let n = 0;
    img.rgba.forEach((v, i) => i % 4 !== 3 && ((sum += v), n++));
    return sum / n / 255;
  });
  const listed = await page.$$eval('[data-testid=reward-sample-value]', (els) => els.map((el) => Number(el.dataset.reward)));
  listed.forEach((r, i) => assert.ok(Math.abs(r - bright[i]) < 1e-6, `sample ${i}: reward ${r} vs canvas brightness ${bright[i]}`));
  const mean = bright.reduce((x, y) => x + y, 0) / 3;
  const std = Math.sqrt(bright.reduce((x, y) => x + (y - mean) ** 2, 0) / 3);
  const last = await page.$eval('[data-testid=reward-last]', (el) => ({ mean: Number(el.dataset.mean), std: Number(el.dataset.std) }));
  assert.ok(Math.abs(last.mean - mean) < 1e-6 && Math.abs(last.std - std) < 1e-6, `round mean/std ${JSON.stringify(last)} vs canvases ${mean}, ${std}`);
  await openTab(page, 'train');
  assert.equal(await lossPoints(), pointsBefore, 'paused charts do not move');
  assert.match(await page.textContent('[data-testid=dashboard-status]'), /paused: 2 new steps hidden/);
  assert.equal(await page.$('[data-testid=chart-reward]'), null, 'no reward chart while paused before the first round');
  await page.uncheck('[data-testid=dashboard-pause]');
  await page.waitForSelector('[data-testid=chart-reward]', opts);
  assert.equal(await lossPoints(), pointsBefore + 2, 'resumed: the 2 rounds appear');
  const stepAfter = Number(await page.textContent('[data-testid=lora-step]'));
  assert.equal(stepAfter, stepBefore + 2, 'one PRDP update per round');
  ctx.log(`reward-driven: 2 PRDP rounds, brightness ${mean.toFixed(4)} ± ${std.toFixed(4)}, LoRA step ${stepAfter}`);
  lap('reward-driven PRDP');

  // ---- multi-task DDPO with the pretraining-loss term: one round on brightness + JPEG compressibility, then one W·L_pre step on
  // tiny-test's shipped latents; the joint task's images, mean and chart series and the L_pre chart appear
  await openTab(page, 'label');
  await page.selectOption('[data-testid=reward-method]', 'ddpo');
  await page.selectOption('[data-testid=reward-joint]', 'jpeg_compressibility');
  await page.fill('[data-testid=reward-rounds]', '1');
  await page.fill('[data-testid=reward-imagesPerPrompt]', '2');
  await page.fill('[data-testid=reward-pretrainLoss]', '0.5');
  assert.match(await page.textContent('[data-testid=reward-start]'), /Train 1 DDPO round on brightness \+ jpeg_compressibility/);
  await page.click('[data-testid=reward-start]');
  await page.waitForFunction(
    () => (document.querySelector('[data-testid=reward-joint-samples]') && document.querySelector('[data-testid=reward-training]')?.dataset.status === 'idle') || document.querySelector('[data-testid=train-error], [data-testid=fatal]'),
    null,
    opts,
  );
  assert.equal(await page.$('[data-testid=train-error]'), null, 'multi-task training failed');
  assert.equal((await readCanvasesOf(page, '[data-testid=reward-joint-sample]')).length, 2, 'the joint task shows its K = 2 images');
  const jointValues = await page.$$eval('[data-testid=reward-joint-sample-value]', (els) => els.map((el) => Number(el.dataset.reward)));
  const jointMean = Number(await page.$eval('[data-testid=reward-last-joint]', (el) => el.dataset.mean));
  assert.ok(Math.abs(jointMean - (jointValues[0] + jointValues[1]) / 2) < 1e-6, `joint mean ${jointMean} vs shown rewards ${jointValues}`);
  await openTab(page, 'train');
  assert.equal(Number(await page.textContent('[data-testid=lora-step]')), stepAfter + 3, 'one DDPO update per task, then the pretraining-loss step');
  await page.waitForFunction(() => document.querySelector('[data-testid=chart-reward]')?.dataset.series?.includes('joint task mean'), null, opts);
  await page.waitForSelector('[data-testid=chart-pretrain-loss]', opts);
  await openTab(page, 'label');
  const lPre = Number(await page.$eval('[data-testid=reward-last-pretrain]', (el) => el.dataset.loss));
  assert.ok(Number.isFinite(lPre) && lPre > 0, `L_pre ${lPre}`);
  ctx.log(`multi-task: joint jpeg_compressibility ${jointMean.toFixed(4)}; pretraining loss L_pre ${lPre.toFixed(4)} (W = 0.5)`);
  await page.fill('[data-testid=reward-pretrainLoss]', '0');
  await page.selectOption('[data-testid=reward-joint]', '');
  lap('multi-task DDPO');

  // ---- human ratings as the reward (PRDP): rate K = 2 images by keyboard (U = up, D = down, Enter), the round trains on +1 / −1
  await page.selectOption('[data-testid=reward-method]', 'prdp');
  await page.selectOption('[data-testid=reward-name]', 'human_rating');
  assert.equal(await page.$eval('[data-testid=reward-joint]', (el) => el.disabled), true, 'no joint task with human ratings');
  await page.click('[data-testid=reward-start]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=rating-image]').length === 2 || document.querySelector('[data-testid=train-error], [data-testid=fatal]'), null, opts);
  assert.equal(await page.$('[data-testid=train-error]'), null, 'human-rating run failed before asking');
  const rated = await readCanvasesOf(page, '[data-testid=rating-image]');
  assert.equal(await page.$eval('[data-testid=rating-send]', (el) => el.disabled), true, 'nothing to send before rating');
  await page.keyboard.press('u');
  await page.keyboard.press('d');
  assert.deepEqual(await page.$$eval('[data-testid=rating-item]', (els) => els.map((el) => el.dataset.rating)), ['up', 'down']);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => (document.querySelector('[data-testid=reward-samples]') && document.querySelector('[data-testid=reward-training]')?.dataset.status === 'idle') || document.querySelector('[data-testid=train-error], [data-testid=fatal]'), null, opts);
  assert.equal(await page.$('[data-testid=train-error]'), null, 'human-rating training failed');
  assert.equal(await page.$('[data-testid=rating-panel]'), null, 'the question closes with the run');
  assert.deepEqual(await page.$$eval('[data-testid=reward-sample-value]', (els) => els.map((el) => Number(el.dataset.reward))), [1, -1], 'the ratings are the rewards');
  const trained = await readCanvasesOf(page, '[data-testid=reward-sample]');
  assert.deepEqual(trained, rated, 'the round trained on the images that were rated');
  await openTab(page, 'train');
  assert.equal(Number(await page.textContent('[data-testid=lora-step]')), stepAfter + 4, 'one PRDP update on the rated round');
  await openTab(page, 'label');
  ctx.log('human ratings: 2 images rated up/down by keyboard, one PRDP update on rewards [1, −1]');
  await page.selectOption('[data-testid=reward-name]', 'brightness');
  await page.selectOption('[data-testid=label-mode]', 'human');
  lap('human ratings');
  assert.deepEqual(cspViolations(s.consoleLines), [], 'the CSP refused something (charts, downloads, workers)');
});
