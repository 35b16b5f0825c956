import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { altMoeModel } from '../../src-main/core/model/altmoe.ts';
import { buildModel } from '../../src-main/core/model/build.ts';
import { PRESETS } from '../../src-main/core/model/presets.ts';
import { ModelProto } from '../../src-main/core/onnx/proto.ts';
import { buildTrainChain } from '../../src-main/core/train/chain.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../src-main/core/train/checkpoint.ts';
import { type TrainEvent, type TrainJob } from '../../src-main/core/train/job.ts';
import { train } from '../../src-main/core/train/trainer.ts';
import { tempDir } from '../helpers.ts';
import { pairRows, syntheticPairs } from '../model/synthetic.ts';

// Two alternating directions with dropout, per-direction Adam counts, warm-up + cosine and
// clipping: everything a chain must reproduce step for step.
const CFG = { kind: 'altmoe' as const, modalities: { image: 6, text: 5 }, pairs: [['image', 'text']] as [string, string][], ...PRESETS.laptop.model, dim: 8, hidden: 16, layers: 2, experts: 4, topK: 2, dropout: 0.1 };

function data(): Parameters<typeof train>[2] {
  const d = syntheticPairs({ items: 64, captionsPerItem: 1, latent: 3, dimA: 6, dimB: 5, noise: 0.1, captionSpread: 0.1, seed: 3 });
  const rows = { image: { dtype: 'float32' as const, shape: [64, 6], data: pairRows(d, 6) }, text: { dtype: 'float32' as const, shape: [64, 5], data: d.b } };
  return { train: { 'image->text': rows, 'text->image': rows } };
}

async function run(stepsPerRun: TrainJob['stepsPerRun'], over: Partial<TrainJob> = {}): Promise<{ dir: string; events: TrainEvent[] }> {
  const dir = tempDir();
  const events: TrainEvent[] = [];
  await train(
    buildModel,
    {
      dir,
      model: { ...CFG },
      optimizer: { kind: 'adamw', lr: 3e-3, weightDecay: 0.01, clipNorm: 0.5, schedule: { warmupSteps: 5, totalSteps: 24, minLrRatio: 0.1 } },
      steps: 24,
      batchSize: 16,
      seed: 5,
      threads: 1,
      checkpointEvery: 24,
      progressEveryMs: 0,
      stepsPerRun,
      ...over,
    },
    data(),
    (e) => events.push(e),
  );
  return { dir, events };
}

const progress = (events: TrainEvent[]) => events.filter((e): e is Extract<TrainEvent, { type: 'progress' }> => e.type === 'progress').map(({ stepsPerSec: _, ...rest }) => rest);
const done = (events: TrainEvent[]) => events.find((e): e is Extract<TrainEvent, { type: 'done' }> => e.type === 'done')!;

describe('train chain (several steps per ONNX Runtime run)', () => {
  it('is one Loop over one cycle of the tasks, with the step data stacked per cycle position', () => {
    const spec = altMoeModel({ ...CFG });
    const { model, io } = buildTrainChain(spec, [0, 1], { optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0, schedule: null } });
    const graph = (ModelProto.decode(model) as unknown as { graph: { node: { opType: string }[]; input: { name: string }[]; output: { name: string }[] } }).graph;
    expect(graph.node.map((n) => n.opType)).toEqual(['Loop']);
    const inputs = graph.input.map((i) => i.name);
    expect(inputs).toEqual(expect.arrayContaining(['cycles', 'steps', ...io.trainable, ...io.states]));
    expect(io.cycle).toEqual([0, 1]);
    expect(inputs.filter((n) => n.endsWith('@0')).length).toBeGreaterThan(0);
    expect(inputs.filter((n) => n.endsWith('@1')).length).toBeGreaterThan(0);
    const outputs = graph.output.map((o) => o.name);
    expect(outputs).toEqual(expect.arrayContaining(['loss@0', 'loss@1', 'lr@0', 'grad_norm@1', ...io.trainable.map((n) => `new.${n}`)]));
  });

  it('gives exactly the parameters, optimizer states and per-step reports of one run per step', async () => {
    const single = await run(1);
    const chained = await run(6);
    const auto = await run('auto');
    expect(done(single.events).runs).toBe(24);
    expect(done(chained.events).runs).toBe(4);
    expect(done(auto.events).runs).toBeLessThan(24);
    const a = readCheckpoint(path.join(single.dir, CHECKPOINT_FILE));
    for (const other of [chained, auto]) {
      expect(progress(other.events)).toEqual(progress(single.events));
      const b = readCheckpoint(path.join(other.dir, CHECKPOINT_FILE));
      expect(b.step).toBe(24);
      expect(b.cursor).toEqual(a.cursor);
      for (const [name, v] of a.params) expect(Array.from(b.params.get(name)!), name).toEqual(Array.from(v));
      for (const [name, v] of a.states) expect(Array.from(b.states.get(name)!), name).toEqual(Array.from(v));
    }
    // The reports cover every step, in order, each with its own direction.
    expect(progress(chained.events).map((p) => [p.step, p.task])).toEqual(Array.from({ length: 24 }, (_, i) => [i + 1, i % 2 === 0 ? 'image->text' : 'text->image']));
  });

  it('a throttled progress report shows the newest step of its run', async () => {
    // Every run of 8 steps takes over 1 ms: each reports once, with its last step.
    const { events } = await run(8, { progressEveryMs: 1 });
    expect(progress(events).map((p) => p.step)).toEqual([8, 16, 24]);
  });

  it('never runs past a checkpoint or an evaluation: they see the state at their own step', async () => {
    const { events } = await run(8, { checkpointEvery: 10 });
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual([10, 20, 24]);
    // 0->8, 8->10, 10->18, 18->20, 20->24.
    expect(done(events).runs).toBe(5);
  });
});
