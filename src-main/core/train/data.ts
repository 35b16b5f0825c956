import { deriveSeed, mulberry32, permutation, STREAM } from '../util/rng.ts';

export type ColumnData = Float32Array | Float64Array | BigInt64Array;

/** One column of a dataset: rows along the first dim. */
export interface Column {
  dtype: 'float32' | 'float64' | 'int64';
  shape: number[];
  data: ColumnData;
}

export type Dataset = Record<string, Column>;

export function rowsOf(ds: Dataset): number {
  const cols = Object.values(ds);
  if (cols.length === 0) throw new Error('empty dataset');
  const n = cols[0]!.shape[0]!;
  for (const [name, c] of Object.entries(ds)) {
    if (c.shape[0] !== n) throw new Error(`column ${name} has ${c.shape[0]} rows, expected ${n}`);
    if (c.data.length !== c.shape.reduce((a, b) => a * b, 1)) throw new Error(`column ${name}: data does not match its shape`);
  }
  return n;
}

/** Where the batch stream stands: the epoch and the position in its shuffled order. */
export interface Cursor {
  epoch: number;
  offset: number;
}

/**
 * Shuffled mini-batches, epoch after epoch; each epoch's order comes from (seed, epoch) alone, so a
 * cursor is all a checkpoint needs to resume the exact same stream.
 */
export class BatchStream {
  private order: Uint32Array;
  private readonly buffers = new Map<string, ColumnData>();

  constructor(
    private readonly ds: Dataset,
    private readonly batchSize: number,
    private readonly seed: number,
    public cursor: Cursor = { epoch: 0, offset: 0 },
  ) {
    this.order = this.orderOf(cursor.epoch);
    for (const [name, c] of Object.entries(ds)) {
      const row = c.shape.slice(1).reduce((a, b) => a * b, 1);
      const Ctor = c.data.constructor as new (n: number) => ColumnData;
      this.buffers.set(name, new Ctor(row * batchSize));
    }
  }

  private orderOf(epoch: number): Uint32Array {
    return permutation(rowsOf(this.ds), mulberry32(deriveSeed(this.seed, STREAM.order, epoch)));
  }

  /** The next batch's columns (buffers are reused: consume them before asking again). */
  next(): Map<string, ColumnData> {
    const n = this.order.length;
    const rows: number[] = [];
    while (rows.length < this.batchSize) {
      if (this.cursor.offset >= n) {
        this.cursor = { epoch: this.cursor.epoch + 1, offset: 0 };
        this.order = this.orderOf(this.cursor.epoch);
      }
      rows.push(this.order[this.cursor.offset]!);
      this.cursor = { ...this.cursor, offset: this.cursor.offset + 1 };
    }
    for (const [name, c] of Object.entries(this.ds)) {
      const width = c.shape.slice(1).reduce((a, b) => a * b, 1);
      const out = this.buffers.get(name)!;
      rows.forEach((r, i) => out.set(c.data.subarray(r * width, (r + 1) * width) as never, i * width));
    }
    return this.buffers;
  }
}
