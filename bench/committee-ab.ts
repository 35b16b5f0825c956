// Experiment (not a product path): the auto run's trial connectors combined. For each (pairs, seed)
// job it trains the default run on the clipart curve's data, then scores on val and test, from the
// members' score matrices: the chosen trial's connector (forward map), it plus its reverse member
// (equal weights: what bench:curve calls the connector alone), the mean of the top-3 / all trials'
// cosines with their reverses (a committee), and a uniform average of the top-3 trials' weights
// (a soup; every trial starts from the same seeded initialisation). Ties rank by index.
//   npx tsx bench/committee-ab.ts 1000:1,500:1 >> bench/experiments/committee-ab.jsonl
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../src-main/core/catalog/catalog.ts';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { trainConnector } from '../src-main/core/runs/run.ts';
import { clipartCatalog } from './clipart.ts';
import { runConfig, runParams, type RunConfig } from '../src-main/core/runs/config.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { evalSetOf } from '../src-main/core/runs/pair-data.ts';
import { altMoeModel, normParams } from '../src-main/core/model/altmoe.ts';
import { mapDirection, standardise } from '../src-main/core/model/evaluate.ts';
import type { EvalSet } from '../src-main/core/model/eval-set.ts';

const DATA = path.resolve(import.meta.dirname, 'data');
const jobs = process.argv[2]!.split(',').map((j) => j.split(':').map(Number) as [number, number]);

function sims(q: Float32Array, g: Float32Array, d: number): Float64Array {
  const nq = q.length / d, ng = g.length / d;
  const S = new Float64Array(nq * ng);
  for (let i = 0; i < nq; i++) for (let j = 0; j < ng; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += q[i * d + k]! * g[j * d + k]!;
    S[i * ng + j] = s;
  }
  return S;
}
function rsum(Sab: Float64Array, nA: number, nB: number, owner: Int32Array, Sba: Float64Array): { i2t: number; t2i: number; rsum: number } {
  // Sab [nA, nB] image->text scores; Sba [nB, nA] text->image scores.
  let tot = 0, i2t1 = 0, t2i1 = 0;
  for (let i = 0; i < nA; i++) {
    let best = Infinity;
    for (let j = 0; j < nB; j++) if (owner[j] === i) {
      let rank = 0; const s = Sab[i * nB + j]!;
      for (let k = 0; k < nB; k++) if (Sab[i * nB + k]! > s || (Sab[i * nB + k]! === s && k < j)) rank++;
      best = Math.min(best, rank);
    }
    tot += (best < 1 ? 1 : 0) + (best < 5 ? 1 : 0) + (best < 10 ? 1 : 0); if (best < 1) i2t1++;
  }
  const a1 = tot / nA; tot = 0;
  for (let j = 0; j < nB; j++) {
    const s = Sba[j * nA + owner[j]!]!; let rank = 0;
    for (let k = 0; k < nA; k++) if (Sba[j * nA + k]! > s || (Sba[j * nA + k]! === s && k < owner[j]!)) rank++;
    tot += (rank < 1 ? 1 : 0) + (rank < 5 ? 1 : 0) + (rank < 10 ? 1 : 0); if (rank < 1) t2i1++;
  }
  return { i2t: (100 * i2t1) / nA, t2i: (100 * t2i1) / nB, rsum: 100 * (a1 + tot / nB) };
}
const transpose = (S: Float64Array, n: number, m: number) => { const o = new Float64Array(n * m); for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) o[j * n + i] = S[i * m + j]!; return o; };
const add = (xs: Float64Array[]) => { const o = new Float64Array(xs[0]!.length); for (const x of xs) for (let i = 0; i < o.length; i++) o[i] = o[i]! + x[i]!; return o; };

type Values = Map<string, Float32Array | Float64Array>;
type Parts = Awaited<ReturnType<typeof parts>>;

async function parts(config: RunConfig, values: Values, set: EvalSet) {
  const spec = altMoeModel(config.model);
  const dA = config.model.modalities[set.a]!, dB = config.model.modalities[set.b]!;
  const std = (m: string, x: Float32Array) => { const [mean, inv] = normParams(m); return standardise(x, values.get(mean) as Float32Array, values.get(inv) as Float32Array); };
  const nA = set.aVecs.length / dA, nB = set.owner.length;
  const qa = normalizeRows(await mapDirection(spec, values, set.a, set.b, set.aVecs), dB);
  const gb = normalizeRows(std(set.b, set.bVecs), dB);
  const qb = normalizeRows(await mapDirection(spec, values, set.b, set.a, set.bVecs), dA);
  const ga = normalizeRows(std(set.a, set.aVecs), dA);
  const fwdAB = sims(qa, gb, dB); // [nA,nB] connector a->b
  const fwdBA = sims(qb, ga, dA); // [nB,nA] connector b->a
  // reverse: image query a vs text gallery mapped into a: cos(std a, map_ba(b)) = fwdBA^T
  return { nA, nB, conn: { ab: fwdAB, ba: fwdBA }, rev: { ab: transpose(fwdBA, nB, nA), ba: transpose(fwdAB, nA, nB) } };
}

const info = await clipartCatalog(DATA, 6500, { image: ['mobilenet'], text: ['glove'] });
for (const [pairs, seed] of jobs) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-trials-'));
  fs.copyFileSync(info.file, path.join(work, 'c.db'));
  const catalog = Catalog.open(path.join(work, 'c.db'), { create: false });
  try {
    const auto = await trainConnector(catalog, { pairs: [['image', 'text']], runsDir: path.join(work, 'runs'), trainPairs: pairs, seed, threads: 1, encoders: { image: 'mobilenet', text: 'glove' }, budgetSeconds: 300 });
    const config = runConfig(catalog, auto.runId);
    const data = await runData(catalog, config);
    const out: Record<string, unknown> & { trials: { val: number; test: number }[] } = { pairs, seed, chosen: auto.auto?.trial, served_test: auto.test['image-text']!.connector.rsum, trials: [] };
    const P: Record<'val' | 'test', Parts[]> = { val: [], test: [] };
    for (let i = 1; i <= 5; i++) {
      const dir = path.join(config.dir, `trial-${i}`);
      if (!fs.existsSync(path.join(dir, 'best.safetensors'))) continue;
      const values = runParams({ ...config, dir });
      for (const split of ['val', 'test'] as const) P[split]!.push(await parts(config, values, evalSetOf(data[0]!, split)));
    }
    const score = (split: 'val' | 'test', idx: number[], withRev: boolean) => {
      const ps = idx.map((i) => P[split]![i]!);
      const ab = add(ps.flatMap((p) => (withRev ? [p.conn.ab, p.rev.ab] : [p.conn.ab])));
      const ba = add(ps.flatMap((p) => (withRev ? [p.conn.ba, p.rev.ba] : [p.conn.ba])));
      return rsum(ab, ps[0]!.nA, ps[0]!.nB, evalSetOf(data[0]!, split).owner, ba);
    };
    const n = P.test!.length;
    const chosen = (auto.auto?.trial ?? 1) - 1;
    const all = [...Array(n).keys()];
    // top-3 by val connector-alone rsum
    const valR = all.map((i) => score('val', [i], false).rsum);
    const top3 = [...all].sort((x, y) => valR[y]! - valR[x]!).slice(0, 3);
    const vals: Values[] = [];
    for (let i = 1; i <= 5; i++) { const dir = path.join(config.dir, `trial-${i}`); if (fs.existsSync(path.join(dir, 'best.safetensors'))) vals.push(runParams({ ...config, dir })); }
    const soupOf = (idx: number[]) => { const m: Values = new Map(); for (const [k, v] of vals[idx[0]!]!) { const o = new Float32Array(v.length); for (const i of idx) { const w = vals[i]!.get(k)!; for (let t = 0; t < o.length; t++) o[t] = o[t]! + w[t]! / idx.length; } m.set(k, o); } return m; };
    const soup = soupOf(top3);
    for (const split of ['val', 'test'] as const) P[split]!.push(await parts(config, soup, evalSetOf(data[0]!, split)));
    const soupIdx = P.test!.length - 1;
    out.soup3 = { val: score('val', [soupIdx], false), test: score('test', [soupIdx], false) };
    out['soup3+rev'] = { val: score('val', [soupIdx], true), test: score('test', [soupIdx], true) };
    for (const i of all) out.trials.push({ val: valR[i]!, test: score('test', [i], false).rsum });
    for (const [name, idx] of [['chosen', [chosen]], ['top3', top3], ['all', all]] as const)
      for (const rev of [false, true]) out[`${name}${rev ? '+rev' : ''}`] = { val: score('val', idx as number[], rev), test: score('test', idx as number[], rev) };
    console.log(JSON.stringify(out));
  } finally {
    catalog.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
