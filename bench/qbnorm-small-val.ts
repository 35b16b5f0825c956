// Probe (not a product path): QB-Norm's strength when the validation split is small. Each kept
// small-val run (bench/small-val.ts, EXPERIMENT_RUNS) is fitted as the product fits it without
// QB-Norm, then served with every beta of QB_BETAS (and none) on val and test, beside the beta the
// product chooses on val: which rule for beta carries to the test split the choice never saw?
//   EXPERIMENT_RUNS=/work/runs-sv SMALL_VAL=70 npx tsx bench/qbnorm-small-val.ts 500:1,500:2
import path from 'node:path';
import { normalizeRows } from '../src-main/core/index/exact.ts';
import { altMoeModel } from '../src-main/core/model/altmoe.ts';
import { ensembleValues, servedDim, type Direction, type HubCorrection } from '../src-main/core/model/ensemble.ts';
import { fitEnsemble, type EnsembleFit } from '../src-main/core/model/ensemble-fit.ts';
import { bankRows, QB_BETAS } from '../src-main/core/model/qbnorm.ts';
import type { CrossModalResult } from '../src-main/core/model/retrieval.ts';
import { dims, evaluateServed, mapOnce, queryMapper, type Served } from '../src-main/core/model/served.ts';
import { runConfig, runParams } from '../src-main/core/runs/config.ts';
import { evalSetOf, trainingRows } from '../src-main/core/runs/pair-data.ts';
import { runData } from '../src-main/core/runs/plan.ts';
import { clipartCatalog } from './clipart.ts';
import { eachDefaultRun } from './trial-rows.ts';

const VAL = Number(process.env.SMALL_VAL ?? 70);
const TEXT = process.env.SMALL_VAL_TEXT ?? 'glove';
const round = (x: number) => Math.round(x * 100) / 100;
const side = (r: CrossModalResult['forward']) => ({ r1: round(100 * r.r1), mr: round((100 * (r.r1 + r.r5 + r.r10)) / 3) });
const both = (r: CrossModalResult) => ({ a2b: side(r.forward), b2a: side(r.backward) });

const source = { file: (await clipartCatalog(path.resolve(import.meta.dirname, 'data'), 6500, { image: ['mobilenet'], text: [TEXT as 'glove' | 'use'] })).file, encoders: { image: 'mobilenet', text: TEXT } };
await eachDefaultRun(
  process.argv[2]!,
  async (catalog, auto, pairs, seed) => {
    const config = runConfig(catalog, auto.runId);
    const values = runParams(config, 'best', 'image-text');
    const spec = altMoeModel(config.model);
    const d = (await runData(catalog, config))[0]!;
    const [val, test] = [evalSetOf(d, 'val'), evalSetOf(d, 'test')];
    const rows = trainingRows(d.splits.train, d.aDim);
    const pair = { a: d.a, b: d.b, trainA: rows.a, trainB: rows.b, val, ...(d.unpaired ? { unpaired: d.unpaired } : {}) };
    const product = await fitEnsemble(spec, values, pair, config.seed);
    const plainFit: EnsembleFit = await fitEnsemble(spec, values, pair, config.seed, { qbnorm: false });
    const served = (f: Pick<EnsembleFit, 'tensors' | 'ensemble'>): Served => ({ spec, values: new Map([...values, ...ensembleValues(f.tensors)]), ensemble: f.ensemble });
    const plain = served(plainFit);
    const e = plainFit.ensemble;
    // The bank exactly as fitEnsemble builds it, mapped once per direction by the plain served graphs.
    const banks = { a: bankRows([rows.a, d.unpaired?.a ?? new Float32Array(0)], d.aDim, config.seed), b: bankRows([rows.b, d.unpaired?.b ?? new Float32Array(0)], d.bDim, config.seed + 1) };
    const ub: Record<Direction, Float32Array> = {
      a2b: normalizeRows(await mapOnce(queryMapper(plain, e.a, e.b), banks.a), servedDim(e, e.b, dims(plain))),
      b2a: normalizeRows(await mapOnce(queryMapper(plain, e.b, e.a), banks.b), servedDim(e, e.a, dims(plain))),
    };
    const byBeta: Record<string, { val: ReturnType<typeof both>; test: ReturnType<typeof both> }> = {};
    for (const beta of [0, ...QB_BETAS]) {
      const hub: Partial<Record<Direction, HubCorrection>> = {};
      const tensors: Record<string, Float32Array> = { ...plainFit.tensors };
      if (beta > 0)
        for (const dir of ['a2b', 'b2a'] as const) {
          const dd = servedDim(e, dir === 'a2b' ? e.b : e.a, dims(plain));
          hub[dir] = { kind: 'qbnorm', beta, k: 0, bank: ub[dir].length / dd };
          tensors[`hub.${dir}`] = ub[dir];
        }
      const s = served({ tensors, ensemble: beta > 0 ? { ...e, hub } : e });
      byBeta[beta] = { val: both(await evaluateServed(s, val)), test: both(await evaluateServed(s, test)) };
    }
    const productTest = both(await evaluateServed(served(product), test));
    console.log(JSON.stringify({ pairs, seed, val: VAL, text: TEXT, val_pairs: val.owner.length, weighing: plainFit.weighing, chosen: product.qbnorm, product: productTest, by_beta: byBeta }));
  },
  source,
  { tag: `val${VAL}-${TEXT}`, prepare: () => {
    throw new Error('score kept runs only: EXPERIMENT_RUNS names the small-val runs');
  } },
);
