// Browser test of "taste that shows" on wasm with tiny-test: with oracle clicks (distinct pairs on) the studio learns by itself in rounds while pairs keep coming, the 20th pair re-shows a voted one (stored as a re-show, counted in the consistency line), every third pair is a check pair (the model's image against the base model's), the taste meter and its dashboard curve agree with the stored check votes; the checkpoint gallery samples base + checkpoints; the blind test hides the models until the vote, stores votes apart from the labels and keeps them across a reload.
import { assert, assertRealImages, openStudio, openTab, readCanvasesOf, readIdb, test, trainByHand, WAIT_MS, waitForPhase } from './harness.mjs';

const LABELS_DB = 'd3po-studio-labels-v1';
const BLIND_DB = 'd3po-studio-blind-v1';
const opts = { timeout: WAIT_MS, polling: 100 };

async function setField(page, key, value) {
  await page.fill(`[data-testid=cfg-${key}]`, String(value));
}

test('taste: automatic rounds while the oracle labels, the meter from check pairs, gallery, blind test', async (ctx) => {
  const t0 = Date.now();
  const lap = (what) => ctx.log(`${what} at ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const s = await openStudio(ctx, '/?backend=wasm&model=tiny-test');
  const { page } = s;
  await waitForPhase(page, 'ready');

  // A short recipe for the mechanics: a round of 3 steps after every 4 A/B votes.
  await openTab(page, 'train');
  await page.click('[data-testid=advanced] > summary');
  await setField(page, 'votesPerRound', 4);
  await setField(page, 'stepsPerRound', 3);
  await setField(page, 'pairsPerStep', 2);
  assert.equal(await page.$eval('[data-testid=auto-train]', (el) => el.checked), true, 'learning while labeling is on by default');

  // ---- the oracle labels by brightness; rounds start by themselves and pairs keep coming during them
  await openTab(page, 'label');
  await page.selectOption('[data-testid=label-mode]', 'oracle');
  await page.selectOption('[data-testid=oracle-reward]', 'brightness');
  const activity = new Set();
  let votedDuringRound = false;
  let lastLabeled = 0;
  for (;;) {
    const st = await page.evaluate(() => {
      const c = document.querySelector('[data-testid=training-controls]');
      return {
        labeled: Number(document.querySelector('[data-testid=label-counter]')?.dataset.labeled ?? 0),
        status: c?.dataset.status,
        kind: c?.dataset.runKind,
        step: Number(c?.dataset.step ?? 0),
        checks: Number(document.querySelector('[data-testid=taste-meter]')?.dataset.n ?? 0),
        rechecks: Number(document.querySelector('[data-testid=consistency]')?.dataset.n ?? 0),
        activity: document.querySelector('[data-testid=trainer-activity]')?.textContent ?? '',
        error: document.querySelector('[data-testid=train-error], [data-testid=labeling-error], [data-testid=fatal]')?.textContent ?? null,
      };
    });
    assert.equal(st.error, null, `labeling or training failed: ${st.error}`);
    if (st.status !== 'idle' && st.kind === 'round') {
      activity.add(st.activity.replace(/step \d+ \/ \d+/, 'step …'));
      if (st.labeled > lastLabeled && lastLabeled > 0) votedDuringRound = true;
    }
    lastLabeled = st.labeled;
    if (st.labeled >= 16 && st.step >= 9 && st.checks >= 3 && st.rechecks >= 1) break;
    if (Date.now() - t0 > WAIT_MS) throw new Error(`no progress: ${JSON.stringify(st)}`);
    await page.waitForTimeout(150);
  }
  await page.selectOption('[data-testid=label-mode]', 'human');
  await page.waitForFunction(() => document.querySelector('[data-testid=training-controls]')?.dataset.status === 'idle', null, opts);
  lap('oracle labeled 16+ pairs with automatic rounds');
  // ---- the 20th pair request re-showed a voted pair with its sides swapped: stored as a re-show, not a label
  const rechecks = (await readIdb(page, 'd3po-studio-labels-v1')).filter((r) => 'again' in r);
  assert.ok(rechecks.length >= 1, 'a re-show vote is stored');
  const votedPairs = new Set((await readIdb(page, 'd3po-studio-labels-v1')).filter((r) => 'vote' in r).map((r) => r.pairId));
  assert.ok(rechecks.every((r) => votedPairs.has(r.pairId) && (r.first === 0 || r.first === 1)), 'a re-show is of a pair voted on before');
  const shownRechecks = await page.$eval('[data-testid=consistency]', (el) => [Number(el.dataset.agreed), Number(el.dataset.n)]);
  assert.deepEqual(shownRechecks, [rechecks.filter((r) => r.again === r.first).length, rechecks.length], 'the consistency line counts the stored re-shows');
  ctx.log(`self-consistency: the oracle repeated ${shownRechecks[0]} of ${shownRechecks[1]} earlier votes on re-shown pairs`);
  assert.ok([...activity].some((a) => /^Learning from \d+ votes… step …$/.test(a)), `the status line says what the trainer does: ${[...activity]}`);
  ctx.log(`trainer status seen: ${[...activity].join(' | ')}; a vote landed while a round ran: ${votedDuringRound}`);

  // ---- pre-vote predictions: none before the first round; then every third pair request is a check pair (the model's image
  // beside the base model's from the same noise, predicted to go to the model's), the others carry the implicit-reward guess.
  // The meter is the stored share of check votes that picked the model's image.
  const labels = (await readIdb(page, LABELS_DB)).sort((a, b) => a.time - b.time);
  const ab = labels.filter((l) => l.vote === 0 || l.vote === 1);
  assert.ok(ab.length >= 8, `A/B votes: ${ab.length}`);
  assert.equal(labels[0].predicted, undefined, 'the first pairs come from the base model: no prediction');
  assert.equal(labels[0].check, undefined, 'no check pair before the model has trained');
  const checks = ab.filter((l) => l.check === true);
  assert.ok(checks.length >= 3, `check votes: ${checks.length} of ${ab.length}`);
  assert.ok(checks.every((l) => l.predicted === 0), 'a check pair predicts the model\'s image (trajectory 0)');
  assert.ok(ab.filter((l) => l.check !== true && l.loraVersion != null).every((l) => l.predicted === 0 || l.predicted === 1), 'ordinary pairs from a trained adapter carry the guess');
  const window = checks.slice(-20);
  const agree = window.filter((l) => l.predicted === l.vote).length;
  const meter = await page.$eval('[data-testid=taste-meter]', (el) => ({ n: Number(el.dataset.n), rate: Number(el.dataset.rate), text: el.textContent }));
  assert.equal(meter.n, window.length, 'the meter counts the check votes');
  assert.ok(Math.abs(meter.rate - agree / window.length) < 1e-4, `meter ${meter.rate} vs stored agreement ${agree}/${window.length}`);
  assert.match(meter.text, /agrees with you \d+ % of the time/);
  assert.match(meter.text, new RegExp(`picked its image in ${agree} of the last ${window.length} check pairs`));
  // The "not yet different from chance" hint shows exactly when the 95 % Wilson interval (re-derived here) contains 50 %.
  const [k, n, z] = [agree, window.length, 1.959964];
  const centre = (k / n + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((k / n) * (1 - k / n) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  assert.equal(meter.text.includes('Not yet different from chance'), centre - half <= 0.5 && centre + half >= 0.5, `hint vs interval ${(centre - half).toFixed(3)}–${(centre + half).toFixed(3)}`);
  await openTab(page, 'train');
  await page.waitForSelector('[data-testid=agreement-chart]', opts);
  assert.equal(await page.$eval('[data-testid=agreement-chart]', (el) => Number(el.dataset.points)), checks.length, 'the meter curve has a point per check vote');
  ctx.log(`meter: ${agree}/${window.length} check votes on the tiny random model (mechanics only; the emoji-sd number is in the README)`);
  lap('meter checked');

  // ---- checkpoint gallery: base + the checkpoints (one per round), 4 prompts × 2 seeds each; the base row is the same images twice
  const checkpoints = await page.$$eval('[data-testid=checkpoint-list] li', (lis) => lis.length);
  assert.ok(checkpoints >= 3, `a checkpoint per round: ${checkpoints}`);
  await page.click('[data-testid=gallery-sample]');
  const rows = 1 + Math.min(7, checkpoints);
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid=gallery]')?.dataset.rows) === n, rows, opts);
  const images = await readCanvasesOf(page, '[data-testid=gallery-image]');
  assertRealImages(images, { count: rows * 8, size: 32 });
  const steps = await page.$$eval('[data-testid=gallery-row]', (trs) => trs.map((tr) => tr.dataset.step));
  assert.equal(steps[0], '', 'the first row is the base model');
  assert.deepEqual(steps.slice(1).map(Number), [...steps.slice(1).map(Number)].sort((a, b) => a - b), 'checkpoint rows oldest first');
  const [download] = await Promise.all([page.waitForEvent('download', opts), page.click('[data-testid=gallery-download] >> nth=0')]);
  assert.match(download.suggestedFilename(), /^tiny-test-d3po-step\d+\.safetensors$/);
  lap('gallery');

  // ---- blind test: base vs the current adapter, sides hidden until the vote; votes stored apart from the labels
  const labelCount = (await readIdb(page, LABELS_DB)).length;
  await openTab(page, 'blind');
  await page.waitForFunction(() => document.querySelectorAll('canvas[data-testid=blind-image]').length === 2 || document.querySelector('[data-testid=blind-error]'), null, opts);
  assert.equal(await page.$('[data-testid=blind-error]'), null, 'blind pair failed');
  assert.deepEqual(await page.$$eval('[data-testid^=blind-side-]', (els) => els.map((e) => e.textContent)), ['?', '?'], 'names hidden before the vote');
  await page.keyboard.press('ArrowLeft');
  await page.waitForSelector('[data-testid=blind-reveal]', opts);
  const sides = await page.$$eval('[data-testid^=blind-side-]', (els) => els.map((e) => e.textContent));
  const currentLeft = /^current adapter \(step \d+\)$/.test(sides[0]);
  assert.ok(currentLeft ? sides[1] === 'base model' : sides[0] === 'base model' && /^current adapter \(step \d+\)$/.test(sides[1]), `names revealed after the vote: ${sides}`);
  const tally = await page.$eval('[data-testid=blind-tally]', (el) => ({ n: Number(el.dataset.n), rate: Number(el.dataset.rate) }));
  assert.equal(tally.n, 1);
  assert.equal(tally.rate, currentLeft ? 1 : 0, 'the left image won: B (the current adapter) wins exactly when it was on the left');
  const blindVotes = await readIdb(page, BLIND_DB);
  assert.equal(blindVotes.length, 1, 'the blind vote is stored');
  assert.equal(blindVotes[0].winner, sides[0] === 'base model' ? 'a' : 'b');
  assert.equal((await readIdb(page, LABELS_DB)).length, labelCount, 'a blind vote is never a training label');
  await page.keyboard.press('Enter'); // next pair
  await page.waitForFunction(() => document.querySelector('[data-testid=blind-reveal]') == null && document.querySelectorAll('canvas[data-testid=blind-image]').length === 2, null, opts);
  lap('blind test');

  // ---- reload: the blind tally comes back from storage
  await page.reload();
  await waitForPhase(page, 'ready');
  await openTab(page, 'blind');
  await page.waitForFunction(() => document.querySelector('[data-testid=blind-tally]')?.dataset.n === '1', null, opts);
  lap('reloaded');

  // ---- leaving while a round runs asks first (a reload would lose the steps since the last checkpoint)
  await openTab(page, 'train');
  await trainByHand(page, 500);
  await page.waitForFunction(() => document.querySelector('[data-testid=training-controls]')?.dataset.status === 'training', null, opts);
  const dialog = new Promise((resolve) => page.once('dialog', (d) => resolve(d.type()) || d.dismiss()));
  await page.close({ runBeforeUnload: true });
  assert.equal(await dialog, 'beforeunload', 'closing mid-run asks first');
  await page.click('[data-testid=train-stop]');
  await page.waitForFunction(() => document.querySelector('[data-testid=training-controls]')?.dataset.status === 'idle', null, opts);
  lap('leave-page warning');
});
