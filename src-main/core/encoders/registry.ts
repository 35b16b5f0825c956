// Encoders in the catalog: added from local folders, described once (modality, inputs, pooling,
// dim, content hash) and stored with that description so jobs and queries run them the same way.
import path from 'node:path';
import type { Catalog } from '../catalog/catalog.ts';
import type { EncoderRow } from '../catalog/repos/encoders.ts';
import { describeEncoder, type DescribeOptions } from './describe.ts';
import { EncoderError } from './errors.ts';
import { encoderHash } from './folder.ts';
import { jointSpaceOf } from './joint-space.ts';
import type { EncoderSpec } from './spec.ts';

export interface AddEncoderOptions extends DescribeOptions {
  name?: string;
  /** Accept a different model for an existing name; its old vectors are deleted. */
  replace?: boolean;
}

export interface AddEncoderResult {
  name: string;
  spec: EncoderSpec;
  hash: string;
  status: 'added' | 'unchanged' | 'replaced';
  /** Vectors of the previous model that were deleted (replaced only). */
  deletedVectors: number;
}

export async function addEncoder(catalog: Catalog, dir: string, opts: AddEncoderOptions = {}): Promise<AddEncoderResult> {
  const { spec, hash } = await describeEncoder(dir, opts);
  const name = opts.name ?? path.basename(spec.dir);
  if (!/^[\w.@+-][\w .@+-]*$/.test(name)) throw new EncoderError(`"${name}" is not a usable encoder name (letters, digits, . _ - + @ and spaces)`);
  const space = jointSpaceOf(spec);
  const meta = JSON.stringify({ kind: 'onnx-folder', spec, ...(space ? { space } : {}) });
  return catalog.write(() => {
    const existing = catalog.encoders.get(name);
    if (!existing) {
      catalog.encoders.insert({ name, modality: spec.modality, dim: spec.dim, fileHash: hash, source: spec.dir, meta }, Date.now());
      return { name, spec, hash, status: 'added', deletedVectors: 0 };
    }
    if (existing.modality !== spec.modality) throw new EncoderError(`encoder "${name}" is a ${existing.modality} encoder; this folder holds a ${spec.modality} encoder`);
    if (existing.file_hash === hash) {
      catalog.replaceEncoderModel(existing.id, { dim: spec.dim, fileHash: hash, source: spec.dir, meta });
      return { name, spec, hash, status: 'unchanged', deletedVectors: 0 };
    }
    if (!opts.replace) {
      const n = catalog.embeddings.count(existing.id);
      throw new EncoderError(`encoder "${name}" already exists with a different model; pass --replace to switch it to this one (its ${n} stored vector(s) will be deleted), or choose another --name`);
    }
    const deletedVectors = catalog.replaceEncoderModel(existing.id, { dim: spec.dim, fileHash: hash, source: spec.dir, meta });
    return { name, spec, hash, status: 'replaced', deletedVectors };
  });
}

/** The stored description of an encoder that can encode new items (not one known only by imported vectors). */
export function encoderSpec(row: EncoderRow): EncoderSpec {
  const meta = JSON.parse(row.meta) as { kind?: string; spec?: EncoderSpec };
  if (meta.kind !== 'onnx-folder' || !meta.spec) {
    throw new EncoderError(`encoder "${row.name}" has only imported vectors (${row.source || 'no model folder'}); add its model folder with \`altmoe encoder add DIR --name ${row.name}\` to encode new items`);
  }
  return meta.spec;
}

/** Looks an encoder up by name, with a readable error listing what exists. */
export function requireEncoder(catalog: Catalog, name: string): EncoderRow {
  const row = catalog.encoders.get(name);
  if (!row) {
    const names = catalog.encoders.list().map((e) => e.name);
    throw new EncoderError(`no encoder named "${name}"${names.length ? ` (encoders: ${names.join(', ')})` : '; add one with `altmoe encoder add DIR`'}`);
  }
  return row;
}

/** Refuses to run a model whose files changed since it was added: its vectors would mix with the old ones. */
export async function checkUnchanged(row: EncoderRow, spec: EncoderSpec): Promise<void> {
  let now: string;
  try {
    now = await encoderHash(spec.dir, path.join(spec.dir, spec.onnxFile), { outputs: spec.outputs, pooling: spec.pooling });
  } catch (err) {
    throw new EncoderError(`cannot read the model of encoder "${row.name}" in ${spec.dir}: ${(err as Error).message}`);
  }
  if (now !== row.file_hash) {
    throw new EncoderError(`the model files of encoder "${row.name}" in ${spec.dir} changed since it was added; run \`altmoe encoder add ${spec.dir} --name ${row.name} --replace\` (its old vectors will be deleted)`);
  }
}
