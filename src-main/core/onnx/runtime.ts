// The ONLY module that imports onnxruntime-node. It picks the execution provider, says loudly when
// it falls back to the CPU, and hides ORT's types behind a small surface.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { DType } from './graph.ts';
import { describeFallback, ortProviderName, partitionReport, placementsFromProfile, type PartitionReport } from './partition.ts';

export type Provider = 'cpu' | 'webgpu' | 'cuda';
export const PROVIDERS: readonly Provider[] = ['cpu', 'webgpu', 'cuda'];

/** A tensor ORT can take or give: a typed array on the host, or (WebGPU) a buffer on the device. */
export type Value = ort.Tensor;
export type Feeds = Record<string, Value>;

export interface ProviderInfo {
  name: Provider;
  /** Shipped inside onnxruntime-node (cpu, webgpu) or installed separately (cuda). */
  bundled: boolean;
  /** Whether a session could be made on it on this machine (bundled GPU providers are tried once). */
  usable?: boolean;
  /** Why not, in ORT's words (first line), when it is not usable. */
  reason?: string;
}

const probed = new Map<Provider, Promise<{ usable: boolean; reason?: string }>>();

/**
 * Whether this machine can run sessions on a provider: a one-node model is tried on it, once per
 * process (WebGPU ships with the app but needs a GPU adapter; without one ORT fails in ~0.1 s).
 */
export function probeProvider(provider: Provider, tiny: Uint8Array): Promise<{ usable: boolean; reason?: string }> {
  if (provider === 'cpu') return Promise.resolve({ usable: true });
  let p = probed.get(provider);
  if (!p) {
    p = createOrt(tiny, { executionProviders: [provider] }).then(
      async (s) => {
        await s.release();
        return { usable: true };
      },
      (err: unknown) => ({ usable: false, reason: firstLine(err) }),
    );
    probed.set(provider, p);
  }
  return p;
}

/** Providers this build of onnxruntime-node knows about. CUDA needs ORT's opt-in install (see README). */
export function listProviders(): ProviderInfo[] {
  const known = ort.listSupportedBackends() as { name: string; bundled: boolean }[];
  return known.filter((b): b is ProviderInfo => (PROVIDERS as readonly string[]).includes(b.name));
}

export interface SessionOptions {
  provider?: Provider;
  /** Intra-op threads (default: ORT's choice). */
  threads?: number;
  /** Keep outputs on the device between runs (WebGPU only). */
  outputsOnDevice?: boolean;
  /** Called with a human-readable warning, e.g. when a provider falls back to the CPU. */
  onWarning?: (message: string) => void;
  /**
   * Keep a CPU memory arena (default true): fast for sessions run again and again at one size
   * (training steps), but the arena keeps its peak for the session's life, so a session that maps
   * large blocks once and then lives on (a gallery graph in the search thread) sets it false.
   */
  arena?: boolean;
}

/** What a model says about one of its inputs or outputs. */
export interface ValueInfo {
  name: string;
  /** ORT's element type name ('float32', 'int64', ...), or 'non-tensor'. */
  type: string;
  /** Dimensions: numbers where fixed, symbolic names (or '?') where dynamic. */
  shape: readonly (number | string)[];
}

export interface Session {
  readonly provider: Provider;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, Value>>;
  /**
   * Where the nodes of the first run went (GPU sessions only; null before it and on the CPU): how
   * many run on the chosen provider and which fall back to the CPU. Fallbacks are also warned.
   */
  partition(): PartitionReport | null;
  release(): Promise<void>;
}

/**
 * Creates an inference session for a model (its bytes, or a file path, which lets ORT map large
 * models and find external weight files), on the requested provider or (announced) on the CPU.
 */
export async function createSession(model: Uint8Array | string, options: SessionOptions = {}): Promise<Session> {
  const wanted = options.provider ?? 'cpu';
  const warn = options.onWarning ?? ((m: string) => console.warn(`[altmoe] ${m}`));
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(options.arena === false ? { enableCpuMemArena: false } : {}),
    ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    // ALTMOE_ORT_PROFILE=prefix: ORT writes per-node timings (prefix_<date>.json) for every session.
    ...(process.env.ALTMOE_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.ALTMOE_ORT_PROFILE } : {}),
    // Spinning threads burn a core between steps; training loops run steps back to back anyway.
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  };
  if (wanted !== 'cpu') {
    // The first run is profiled to learn each node's provider (unless the user profiles everything).
    const profileDir = process.env.ALTMOE_ORT_PROFILE ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-partition-'));
    try {
      const session = await createOrt(model, {
        ...base,
        ...(profileDir ? { enableProfiling: true, profileFilePrefix: path.join(profileDir, 'run') } : {}),
        executionProviders: [wanted],
        preferredOutputLocation: wanted === 'webgpu' && options.outputsOnDevice ? 'gpu-buffer' : undefined,
      });
      return wrap(session, wanted, profileDir ? { dir: profileDir, warn } : undefined);
    } catch (err) {
      if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
      warn(`execution provider "${wanted}" is not available (${firstLine(err)}); FALLING BACK TO THE CPU, which is much slower`);
    }
  }
  return wrap(await createOrt(model, { ...base, executionProviders: ['cpu'] }), 'cpu');
}

function createOrt(model: Uint8Array | string, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}

function valueInfo(m: ort.InferenceSession.ValueMetadata): ValueInfo {
  return m.isTensor ? { name: m.name, type: m.type, shape: m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : String(d || '?'))) } : { name: m.name, type: 'non-tensor', shape: [] };
}

function wrap(session: ort.InferenceSession, provider: Provider, profiling?: { dir: string; warn: (m: string) => void }): Session {
  let partition: PartitionReport | null = null;
  let pending = profiling;
  return {
    provider,
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputs: session.inputMetadata.map(valueInfo),
    outputs: session.outputMetadata.map(valueInfo),
    async run(feeds, outputs) {
      const result = (await (outputs ? session.run(feeds, outputs as string[]) : session.run(feeds))) as Record<string, Value>;
      if (pending) {
        const { dir, warn } = pending;
        pending = undefined;
        partition = readPartition(session, dir, provider);
        const line = partition && describeFallback(partition);
        if (line) warn(line);
      }
      return result;
    },
    partition: () => partition,
    release: () => session.release(),
  };
}

/** Ends a session's profiling and reads where each node of its first run went. */
function readPartition(session: ort.InferenceSession, dir: string, provider: Provider): PartitionReport | null {
  try {
    session.endProfiling();
    const file = fs.readdirSync(dir).find((f) => f.endsWith('.json'));
    return file ? partitionReport(placementsFromProfile(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as []), ortProviderName(provider)) : null;
  } catch {
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

type HostArray = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Int8Array;

/** Wraps a host array as a tensor (no copy). */
export function tensor(dtype: DType, dims: readonly number[], data: HostArray): Value {
  const type = { float32: 'float32', float64: 'float64', int64: 'int64', int32: 'int32', bool: 'bool', uint8: 'uint8', int8: 'int8' }[dtype] as 'float32';
  return new ort.Tensor(type, data as Float32Array, dims as number[]);
}

/** A host copy of a tensor's data (downloads it when it lives on the device). */
export async function hostData(v: Value): Promise<HostArray> {
  if (v.location === 'cpu' || v.location === undefined) return v.data as HostArray;
  return (await v.getData(false)) as HostArray;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
