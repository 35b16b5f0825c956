// Experiments behind the unpaired-items decisions (docs/decisions.md), on the clipart catalog of
// bench:curve (MobileNetV2 + GloVe, the same splits; a training subset of PAIRS pairs drawn with
// SEED, the rest of the train split given unpaired with its pairing hidden). Training-free only, so
// each takes a minute. Appends one JSON line per result to bench/experiments/unpaired-ab.jsonl.
//   npx tsx bench/unpaired-ab.ts pseudo   teacher pseudo-pairs (mutual nearest neighbours under ASIF) added to the pairs, 3 rounds
//   npx tsx bench/unpaired-ab.ts spectral SUE-like spectral coordinates from a kNN graph over all train items, then the baselines
//   npx tsx bench/unpaired-ab.ts qbnorm   QB-Norm on each tuned baseline, beta chosen on val, bank = train + unpaired queries
// PAIRS (default 250; qbnorm 1000) and SEED (default 1) pick the subset.
import fs from 'node:fs';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { normalizeRows, topKScored } from '../src-main/core/index/exact.ts';
import { recallOf } from '../src-main/core/model/baselines/maps.ts';
import { tuneBaselines, type TunedBaseline } from '../src-main/core/model/baselines/tuned.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';
import { columnStats, standardise } from '../src-main/core/model/evaluate.ts';
import { leadingEigen } from '../src-main/core/model/linalg.ts';
import { bankRows, bankTerm, MAX_BANK } from '../src-main/core/model/qbnorm.ts';
import { crossModalRecall } from '../src-main/core/model/retrieval.ts';
import { evalSetOf, limitTraining, loadPairData, pickMedia, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { mulberry32, permutation } from '../src-main/core/util/rng.ts';
import { clipartCatalog } from './clipart.ts';

const MODE = process.argv[2] ?? 'pseudo';
const PAIRS = Number(process.env.PAIRS ?? (MODE === 'qbnorm' ? 1000 : 250));
const SEED = Number(process.env.SEED ?? 1);
const OUT = path.resolve(import.meta.dirname, 'experiments/unpaired-ab.jsonl');

const info = await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500);
const catalog = Catalog.open(info.file, { create: false });
const full = loadPairData(catalog, { a: 'image', b: 'text', encoders: { image: 'mobilenet', text: 'glove' } });
const [da, db] = [full.aDim, full.bDim];
const d = limitTraining(full, PAIRS, SEED);
const drawn = new Set(d.splits.train.ids);
const t = full.splits.train;
const rest = pickMedia(t, da, db, [...Array(t.aVecs.length / da).keys()].filter((m) => !drawn.has(t.ids![m]!)));
// The unpaired captions in a shuffled order; truth[j] = the unpaired image caption j belongs to (only to score pseudo-pairs).
const order = permutation(rest.owner.length, mulberry32(99));
const ua = rest.aVecs;
const ub = new Float32Array(rest.bVecs.length);
order.forEach((j, i) => ub.set(rest.bVecs.subarray(j * db, (j + 1) * db), i * db));
const truth = Int32Array.from(order, (j) => rest.owner[j]!);
const rows = trainingRows(d.splits.train, da);

type Line = Record<string, unknown>;
const record = (line: Line): void => {
  const out = { mode: MODE, pairs: PAIRS, seed: SEED, unpaired: ua.length / da, ...line };
  console.log(JSON.stringify(out));
  fs.appendFileSync(OUT, `${JSON.stringify(out)}\n`);
};
const pct = (x: number) => Math.round(1000 * x) / 10;

/** Baselines fitted on (a, b) rows, standardised with stats of (sa, sb) rows; test R@1 and RSUM of each. */
async function baselines(a: Float32Array, b: Float32Array, statsA = a, statsB = b): Promise<{ tuned: TunedBaseline[]; std: (e: EvalSet) => EvalSet; stats: ReturnType<typeof columnStats>[]; test: Line }> {
  const sa = columnStats(statsA, da);
  const sb = columnStats(statsB, db);
  const std = (e: EvalSet): EvalSet => ({ ...e, aVecs: standardise(e.aVecs, sa.mean, sa.invstd), bVecs: standardise(e.bVecs, sb.mean, sb.invstd) });
  const tuned = await tuneBaselines({ a: standardise(a, sa.mean, sa.invstd), b: standardise(b, sb.mean, sb.invstd), dims: { a: da, b: db } }, std(evalSetOf(d, 'val')));
  const test: Line = {};
  for (const m of tuned) {
    const r = await recallOf(m.maps, std(evalSetOf(d, 'test')));
    test[m.name] = { i2t_r1: pct(r.forward.r1), t2i_r1: pct(r.backward.r1), rsum: Math.round(r.rsum * 10) / 10 };
  }
  return { tuned, std, stats: [sa, sb], test };
}

async function pseudo(): Promise<void> {
  let cur = await baselines(rows.a, rows.b);
  record({ variant: 'pairs only', test: cur.test });
  for (let round = 1; round <= 3; round++) {
    const teacher = cur.tuned.find((x) => x.name === 'asif')!;
    const [sa, sb] = cur.stats;
    const xa = standardise(ua, sa!.mean, sa!.invstd);
    const xb = standardise(ub, sb!.mean, sb!.invstd);
    const m = teacher.maps;
    const ab = await topKScored(normalizeRows(await m.aToB.query(xa), m.aToB.dim), normalizeRows(await m.aToB.gallery(xb), m.aToB.dim), m.aToB.dim, 2);
    const ba = await topKScored(normalizeRows(await m.bToA.query(xb), m.bToA.dim), normalizeRows(await m.bToA.gallery(xa), m.bToA.dim), m.bToA.dim, 2);
    const pairs: [number, number][] = [];
    for (let i = 0; i < ua.length / da; i++) {
      const j = ab.indices[i * 2]!;
      if (ba.indices[j * 2] === i) pairs.push([i, j]);
    }
    const precision = pairs.filter(([i, j]) => truth[j] === i).length / Math.max(1, pairs.length);
    const pa = new Float32Array(pairs.length * da);
    const pb = new Float32Array(pairs.length * db);
    pairs.forEach(([i, j], r) => {
      pa.set(ua.subarray(i * da, (i + 1) * da), r * da);
      pb.set(ub.subarray(j * db, (j + 1) * db), r * db);
    });
    cur = await baselines(new Float32Array([...rows.a, ...pa]), new Float32Array([...rows.b, ...pb]));
    record({ variant: `round ${round}: + ${pairs.length} mutual-nearest pseudo-pairs`, precision: pct(precision), test: cur.test });
  }
}

/** Spectral coordinates of all rows of one modality (kNN graph, normalised affinity), and their extension to new rows. */
async function spectral(all: Float32Array, dim: number, m: number, k: number) {
  const st = columnStats(all, dim);
  const x = normalizeRows(standardise(all, st.mean, st.invstd), dim);
  const n = x.length / dim;
  const top = await topKScored(x, x, dim, k + 1);
  const w = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 1; j <= k; j++) {
      const c = top.indices[i * (k + 1) + j]!;
      const s = Math.max(0, top.scores[i * (k + 1) + j]!);
      w[i * n + c] = Math.max(w[i * n + c]!, s);
      w[c * n + i] = Math.max(w[c * n + i]!, s);
    }
  }
  const deg = Float64Array.from({ length: n }, (_, i) => w.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b, 0) + 1e-12);
  // (I + D^-1/2 W D^-1/2) / 2: positive semi-definite, the same leading eigenvectors.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i * n + j] = (w[i * n + j]! / Math.sqrt(deg[i]! * deg[j]!) + (i === j ? 1 : 0)) / 2;
  const e = await leadingEigen(w, n, m + 1);
  const p = e.k - 1;
  const psi = new Float32Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) psi[i * p + j] = (e.vectors[i * e.k + j + 1]! / Math.sqrt(deg[i]!)) * Math.sqrt(n);
  const lambda = Float64Array.from({ length: p }, (_, j) => 2 * e.values[j + 1]! - 1);
  const extend = async (q: Float32Array): Promise<Float32Array> => {
    const xq = normalizeRows(standardise(q, st.mean, st.invstd), dim);
    const tq = await topKScored(xq, x, dim, k);
    const out = new Float32Array((xq.length / dim) * p);
    for (let r = 0; r < xq.length / dim; r++) {
      let total = 0;
      for (let j = 0; j < k; j++) total += Math.max(0, tq.scores[r * k + j]!);
      for (let j = 0; j < k; j++) {
        const c = tq.indices[r * k + j]!;
        const wj = Math.max(0, tq.scores[r * k + j]!) / (total + 1e-12);
        for (let f = 0; f < p; f++) out[r * p + f] = out[r * p + f]! + (wj * psi[c * p + f]!) / Math.max(lambda[f]!, 1e-3);
      }
    }
    return out;
  };
  return { psi, p, extend, lambda };
}

async function spectralRun(): Promise<void> {
  record({ variant: 'pairs only', test: (await baselines(rows.a, rows.b)).test });
  for (const m of [32, 64]) {
    const sa = await spectral(new Float32Array([...rows.a, ...ua]), da, m, 10);
    const sb = await spectral(new Float32Array([...rows.b, ...ub]), db, m, 10);
    const n = rows.a.length / da;
    const ext = async (e: EvalSet): Promise<EvalSet> => ({ ...e, aVecs: await sa.extend(e.aVecs), bVecs: await sb.extend(e.bVecs) });
    const tuned = await tuneBaselines({ a: sa.psi.slice(0, n * sa.p), b: sb.psi.slice(0, n * sb.p), dims: { a: sa.p, b: sb.p } }, await ext(evalSetOf(d, 'val')));
    const test: Line = {};
    const set = await ext(evalSetOf(d, 'test'));
    for (const b of tuned) {
      const r = await recallOf(b.maps, set);
      test[b.name] = { i2t_r1: pct(r.forward.r1), t2i_r1: pct(r.backward.r1), rsum: Math.round(r.rsum * 10) / 10 };
    }
    record({ variant: `spectral ${m} components, kNN graph k 10`, eigenvalues: [sa.lambda[0], sa.lambda[sa.p - 1], sb.lambda[0], sb.lambda[sb.p - 1]].map((v) => Math.round(v! * 1000) / 1000), test });
  }
}

/** Mean recall (R@1, R@5, R@10) of one direction with gallery scores cos(q, g) - term(g) / R. */
async function directionRecall(q: Float32Array, g: Float32Array, d: number, term: Float32Array | null, owner: Int32Array, forward: boolean): Promise<number> {
  const uq = normalizeRows(q, d);
  const ug = normalizeRows(g, d);
  const x = (rowsOf: Float32Array, extra: (i: number) => number[]) => {
    const n = rowsOf.length / d;
    const out = new Float32Array(n * (d + 2));
    for (let i = 0; i < n; i++) {
      out.set(rowsOf.subarray(i * d, (i + 1) * d), i * (d + 2));
      out.set(extra(i), i * (d + 2) + d);
    }
    return out;
  };
  const qx = x(uq, () => [1, 0]);
  const gx = x(ug, (i) => [-(term?.[i] ?? 0), Math.sqrt(Math.max(0, 1 - (term?.[i] ?? 0) ** 2))]);
  const r = await crossModalRecall(forward ? { mediaQueries: qx, captionGallery: gx, captionDim: d + 2, captionQueries: gx, mediaGallery: qx, mediaDim: d + 2, owner } : { mediaQueries: gx, captionGallery: qx, captionDim: d + 2, captionQueries: qx, mediaGallery: gx, mediaDim: d + 2, owner });
  const s = forward ? r.forward : r.backward;
  return (s.r1 + s.r5 + s.r10) / 3;
}

async function qbnormRun(): Promise<void> {
  const fit = await baselines(rows.a, rows.b);
  const [sa, sb] = fit.stats;
  // The product's bank: a seeded choice of at most MAX_BANK training and unpaired rows.
  const bankA = standardise(bankRows([rows.a, ua], da, SEED), sa!.mean, sa!.invstd);
  const bankB = standardise(bankRows([rows.b, ub], db, SEED + 1), sb!.mean, sb!.invstd);
  const sets = { val: fit.std(evalSetOf(d, 'val')), test: fit.std(evalSetOf(d, 'test')) };
  for (const m of fit.tuned) {
    for (const [dir, map, bank] of [['a2b', m.maps.aToB, bankA], ['b2a', m.maps.bToA, bankB]] as const) {
      const scores: Record<string, Record<number, number>> = { val: {}, test: {} };
      for (const split of ['val', 'test'] as const) {
        const set = sets[split];
        const [qs, gs] = dir === 'a2b' ? [set.aVecs, set.bVecs] : [set.bVecs, set.aVecs];
        const q = await map.query(qs);
        const g = normalizeRows(await map.gallery(gs), map.dim);
        const b = normalizeRows(await map.query(bank), map.dim);
        for (const beta of [0, 3, 5, 10, 20]) scores[split]![beta] = await directionRecall(q, g, map.dim, beta ? await bankTerm(g, b, map.dim, 1, beta) : null, set.owner, dir === 'a2b');
      }
      const chosen = [0, 3, 5, 10, 20].reduce((x, beta) => (scores.val![beta]! > scores.val![x]! ? beta : x), 0);
      record({ bank: bank.length / (dir === 'a2b' ? da : db), max_bank: MAX_BANK, member: m.name, direction: dir, beta_on_val: chosen, test_mean_recall_off: pct(scores.test![0]!), test_mean_recall_chosen: pct(scores.test![chosen]!) });
    }
  }
}

try {
  await ({ pseudo, spectral: spectralRun, qbnorm: qbnormRun } as Record<string, () => Promise<void>>)[MODE]!();
} finally {
  catalog.close();
}
