// Where ONNX Runtime puts each node: the report names the nodes that fall back from the requested
// provider. No GPU machine was at hand to record a WebGPU session, so the fallback case is a log in
// the exact format of ORT 1.30's session_state.cc ("Node placements"); the CPU profile and the CPU
// log line are recorded from this machine's ORT 1.30.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeFallback, partitionReport, placementsFromLog, placementsFromProfile } from '../../src-main/core/onnx/partition.ts';
import { createSession } from '../../src-main/core/onnx/runtime.ts';
import { Graph } from '../../src-main/core/onnx/graph.ts';
import * as op from '../../src-main/core/onnx/ops.ts';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures');

describe('provider partition report', () => {
  it('names the nodes that fall back to the CPU, grouped by operator', () => {
    const placements = placementsFromLog(fs.readFileSync(path.join(FIXTURES, 'placements-webgpu.log'), 'utf8'));
    const r = partitionReport(placements, 'WebGpuExecutionProvider');
    expect(r).toEqual({
      provider: 'WebGpuExecutionProvider',
      total: 7,
      onProvider: 3,
      fallback: [
        { op: 'NonZero', provider: 'CPUExecutionProvider', count: 2, nodes: ['router/nonzero', 'layer1/router/nonzero'] },
        { op: 'ConstantOfShape', provider: 'CPUExecutionProvider', count: 1, nodes: ['router/zeros'] },
        { op: 'Shape', provider: 'CPUExecutionProvider', count: 1, nodes: ['shape_0'] },
      ],
    });
    expect(describeFallback(r)).toBe('4 of 7 nodes run on the CPU instead of WebGpuExecutionProvider, with copies at each boundary: NonZero x2, ConstantOfShape x1, Shape x1');
  });

  it('reads the recorded CPU profile and log line: everything on the CPU, nothing to report', () => {
    const events = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'profile-cpu-ort-1.30.json'), 'utf8')) as [];
    const fromProfile = placementsFromProfile(events);
    expect([...fromProfile.keys()]).toEqual(['CPUExecutionProvider']);
    expect(fromProfile.get('CPUExecutionProvider')).toEqual([
      { op: 'FusedMatMul', name: 'MatMul_1/MatmulTransposeFusion/' },
      { op: 'Relu', name: 'Relu_2' },
    ]);
    const r = partitionReport(fromProfile, 'CPUExecutionProvider');
    expect(r).toMatchObject({ total: 2, onProvider: 2, fallback: [] });
    expect(describeFallback(r)).toBeNull();
    // The same session's verbose log (one line, as ORT writes it when all nodes share a provider).
    const log = '2026-12-02 07:44:41.679657110 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [CPUExecutionProvider]. Number of nodes: 2';
    expect(partitionReport(placementsFromLog(log), 'WebGpuExecutionProvider')).toMatchObject({ total: 2, onProvider: 0, fallback: [{ op: '?', count: 2 }] });
  });

  it('a CPU session reports no partition; a GPU request without a GPU falls back loudly', async () => {
    const g = new Graph('partition', 'float32');
    const x = g.input('x', 'float32', [2, 3]);
    g.output(op.relu(x), 'y');
    const warnings: string[] = [];
    const s = await createSession(g.toModel({ paramsAs: 'initializers', values: new Map() }), { provider: 'webgpu', onWarning: (m) => warnings.push(m) });
    await s.run({ x: (await import('../../src-main/core/onnx/runtime.ts')).tensor('float32', [2, 3], new Float32Array(6)) });
    if (s.provider === 'cpu') {
      expect(warnings.join('\n')).toMatch(/execution provider "webgpu" is not available .*FALLING BACK TO THE CPU/);
      expect(s.partition()).toBeNull();
    } else {
      // On a machine with a GPU: the report exists and counts every node.
      expect(s.partition()?.total).toBeGreaterThan(0);
    }
    await s.release();
  });
});
