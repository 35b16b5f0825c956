// The one set of request schemas, and so the contract's requests: every channel's payload type is
// inferred from its schema here (api.ts re-exports them), and Electron IPC, the HTTP API and the CLI
// all check a request with these before the engine sees it, so a bad value gets the same one-line
// message from each.
// Ranges mean something: a learning rate is finite and positive, sizes are bounded (the engine also
// checks a run's estimated memory against the machine's), scores are cosines in [-1, 1].
import { NPM_ENCODER_KINDS } from './npm-encoders.ts';
import { z } from 'zod';
import { IMPORT_FORMATS, MODALITIES, SPLITS } from './types.ts';

/** A whole number in [min, max], with one message for every way to miss it (type, NaN, range). */
export function wholeNumber(label: string, min: number, max: number) {
  const error = `${label} must be a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** A finite number above `above` (exclusive) and at most `max`. */
function positive(label: string, max: number) {
  const error = `${label} must be a number above 0 and at most ${max.toLocaleString('en-US')}`;
  return z.number({ error }).positive({ error }).max(max, { error });
}

/** A finite number in [min, max]: for settings whose tiny values are as wrong as zero (a learning rate of 5e-324 trains nothing). */
function between(label: string, min: number, max: number) {
  const error = `${label} must be a number from ${min} to ${max.toLocaleString('en-US')}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

function oneOf<T extends readonly [string, ...string[]]>(label: string, values: T) {
  return z.enum(values, { error: `${label} must be one of ${values.join(', ')}` });
}

export const LIMITS = {
  steps: 10_000_000,
  batchSize: 16_384,
  evalEvery: 1_000_000,
  patience: 1_000,
  budgetSeconds: 7 * 24 * 3600,
  /** The auto preset's trial settings (AUTO.trials in presets.ts; a test keeps the two equal). */
  autoTrials: 5,
  seed: 2 ** 31 - 1,
  trainPairs: 100_000_000,
  lr: 1,
  /** Below this a step changes float32 weights by nothing: a typo, not a setting. */
  minLr: 1e-8,
  embedBatch: 4096,
  k: 1000,
  threads: 256,
} as const;

const modality = oneOf('a modality', MODALITIES);
const split = oneOf('a split', SPLITS);
const provider = oneOf('the provider', ['cpu', 'webgpu', 'cuda'] as const);
const name = (label: string) => z.string({ error: `${label} must be a name` }).trim().min(1, { error: `${label} must not be empty` }).max(200, { error: `${label} must be at most 200 characters` });
const filePath = (label: string) => z.string({ error: `${label} must be a path` }).min(1, { error: `${label} must not be empty` }).max(4096, { error: `${label} is too long` });
export const runId = wholeNumber('the run id', 1, Number.MAX_SAFE_INTEGER);
export const itemId = wholeNumber('the item id', 1, Number.MAX_SAFE_INTEGER);
const runRequest = z.object({ run: runId }).strict();
const none = z.undefined();

/** Modality pairs: two different modalities each, no pair twice. */
export const pairsSchema = z
  .array(z.tuple([modality, modality]), { error: 'pairs must be a list of two modalities each, like image:text' })
  .min(1, { error: 'pairs must name at least one pair, like image:text' })
  .superRefine((pairs, ctx) => {
    const seen = new Set<string>();
    for (const [a, b] of pairs) {
      if (a === b) ctx.addIssue({ code: 'custom', message: `the pair ${a}:${b} needs two different modalities` });
      const key = [a, b].sort().join(':');
      if (seen.has(key)) ctx.addIssue({ code: 'custom', message: `the pair ${a}:${b} is given twice` });
      seen.add(key);
    }
  });

export const importSchema = z
  .object({
    format: oneOf('the format', IMPORT_FORMATS).exclude(['npy'], { error: `the format must be one of ${IMPORT_FORMATS.filter((f) => f !== 'npy').join(', ')}` }),
    source: filePath('the source'),
    root: filePath('the root').optional(),
    name: name('the dataset name').optional(),
    split: split.nullable().optional(),
  })
  .strict();

export const embedSchema = z
  .object({
    encoder: name('the encoder'),
    dataset: name('the dataset').optional(),
    batchSize: wholeNumber('the batch size', 1, LIMITS.embedBatch).optional(),
    provider: provider.optional(),
  })
  .strict();

export const trainSchema = z
  .object({
    name: name('the run name').optional(),
    pairs: pairsSchema,
    preset: oneOf('the preset', ['auto', 'laptop', 'paper'] as const).optional(),
    budgetSeconds: positive('the time budget (seconds)', LIMITS.budgetSeconds).optional(),
    trials: wholeNumber('the number of trials', 1, LIMITS.autoTrials).optional(),
    seed: wholeNumber('the seed', 0, LIMITS.seed).optional(),
    trainPairs: wholeNumber('the number of training pairs', 1, LIMITS.trainPairs).optional(),
    datasets: z.array(name('a dataset')).min(1, { error: 'datasets must name at least one dataset' }).optional(),
    encoders: z.partialRecord(modality, name('an encoder')).optional(),
    provider: provider.optional(),
    steps: wholeNumber('steps', 1, LIMITS.steps).optional(),
    batchSize: wholeNumber('the batch size', 2, LIMITS.batchSize).optional(),
    evalEvery: wholeNumber('the evaluation interval', 1, LIMITS.evalEvery).optional(),
    patience: wholeNumber('patience', 1, LIMITS.patience).optional(),
    lr: between('the learning rate', LIMITS.minLr, LIMITS.lr).optional(),
    connector: oneOf('the connector', ['moe', 'mlp'] as const).optional(),
    schedule: oneOf('the schedule', ['alternating', 'joint'] as const).optional(),
    loss: oneOf('the loss', ['pred+cl', 'pred', 'cl'] as const).optional(),
    duplicates: oneOf('the duplicates policy', ['warn', 'drop', 'merge'] as const).optional(),
    unpaired: z
      .union([z.enum(['auto', 'none']), z.array(name('an unpaired dataset'))], { error: 'unpaired must be auto, none or dataset names' })
      .optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (Array.isArray(r.unpaired) && r.unpaired.length === 0) ctx.addIssue({ code: 'custom', path: ['unpaired'], message: 'unpaired datasets: name at least one (or auto, or none)' });
    if (Array.isArray(r.unpaired) && r.preset !== undefined && r.preset !== 'auto') ctx.addIssue({ code: 'custom', path: ['unpaired'], message: 'unpaired datasets go with the auto preset (its QB-Norm bank)' });
    if (r.budgetSeconds !== undefined && r.preset !== undefined && r.preset !== 'auto') ctx.addIssue({ code: 'custom', path: ['budgetSeconds'], message: 'a time budget goes with the auto preset' });
    if (r.trials !== undefined && r.preset !== undefined && r.preset !== 'auto') ctx.addIssue({ code: 'custom', path: ['trials'], message: 'a number of trials goes with the auto preset' });
    if (r.evalEvery !== undefined && r.steps !== undefined && r.evalEvery > r.steps) ctx.addIssue({ code: 'custom', path: ['evalEvery'], message: `the evaluation interval (${r.evalEvery}) must not exceed steps (${r.steps})` });
  });

/** Everything of a search but the query itself (the CLI reads files, the API carries bytes). */
export const searchOptionsShape = {
  to: z.array(modality).min(1, { error: 'to must name at least one modality' }),
  k: wholeNumber('the number of results (k)', 1, LIMITS.k).optional(),
  minScore: z
    .number({ error: 'the minimum score must be a number from -1 to 1' })
    .min(-1, { error: 'the minimum score must be a number from -1 to 1' })
    .max(1, { error: 'the minimum score must be a number from -1 to 1' })
    .optional(),
  datasets: z.array(name('a dataset')).optional(),
  splits: z.array(split).optional(),
  run: runId.optional(),
  hybrid: z.boolean({ error: 'hybrid must be true or false' }).optional(),
  paths: z.boolean({ error: 'paths must be true or false' }).optional(),
  group: z.boolean({ error: 'group must be true or false' }).optional(),
};

export const searchOptionsSchema = z.object(searchOptionsShape).strict();

/** A PostgreSQL + pgvector store: its URL (which may carry credentials: never stored or printed). */
export const storeUrl = z
  .string({ error: 'the store must be a postgres:// URL' })
  .max(2000, { error: 'the store URL is too long' })
  .regex(/^postgres(ql)?:\/\/\S+$/i, { error: 'the store must be a postgres:// URL, e.g. postgres://user@host:5432/db' });

/** altmoe store push: what to copy and how to index it (pgvector's HNSW ranges). */
export const storePushSchema = z
  .object({
    to: storeUrl,
    encoder: name('the encoder').optional(),
    run: runId.optional(),
    halfvec: z.boolean().optional(),
    batch: wholeNumber('the batch size', 1, 10_000).optional(),
    m: wholeNumber('m', 2, 100).optional(),
    efConstruction: wholeNumber('ef_construction', 4, 1000).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    // pgvector refuses an ef_construction below twice m.
    if (r.efConstruction !== undefined && r.efConstruction < 2 * (r.m ?? 16)) ctx.addIssue({ code: 'custom', path: ['efConstruction'], message: `ef_construction (${r.efConstruction}) must be at least twice m (${r.m ?? 16})` });
  });

/** Searching a store: the URL, and exact scans or HNSW's candidate count. */
export const storeSearchSchema = z
  .object({
    store: storeUrl,
    exact: z.boolean().optional(),
    efSearch: wholeNumber('ef_search', 1, 1000).optional(),
  })
  .strict();

export const searchSchema = z
  .object({
    query: z.union(
      [
        z.object({ item: itemId }).strict(),
        z.object({ text: z.string({ error: 'the query text must be a string' }).max(10_000, { error: 'the query text must be at most 10,000 characters' }) }).strict(),
        z.object({ file: z.object({ name: z.string().max(500), modality: z.enum(['image', 'audio']), base64: z.string().max(80_000_000) }).strict() }).strict(),
      ],
      { error: 'the query must be an item, a text or a file' },
    ),
    ...searchOptionsShape,
  })
  .strict();

/** One of a run's pairs, as its two modalities (either order names the same pair). */
const mapPair = z.tuple([modality, modality], { error: 'the pair must be two modalities, like audio:text' });
/** A map source's one-line error: what is wrong with the fields of the source it names (a bad pair, say), else which sources there are. */
const mapSourceError = (iss: { code?: string; input?: unknown; errors?: { message: string }[][] }): string => {
  const given = iss.input !== null && typeof iss.input === 'object' ? iss.input : {};
  const branch = 'encoder' in given === 'run' in given ? -1 : 'encoder' in given ? 0 : 1;
  return (iss.code === 'invalid_union' && branch >= 0 && iss.errors?.[branch]?.[0]?.message) || 'a map is of an encoder or of a run';
};
const mapSource = z.union([z.object({ encoder: name('the encoder') }).strict(), z.object({ run: runId, pair: mapPair.optional() }).strict()], { error: mapSourceError });

const mapSettings = { sample: wholeNumber('the sample size', 100, 1_000_000).optional(), seed: wholeNumber('the seed', 0, LIMITS.seed).optional(), force: z.boolean().optional() };

export const mapStartSchema = z.union([z.object({ encoder: name('the encoder'), ...mapSettings }).strict(), z.object({ run: runId, pair: mapPair.optional(), ...mapSettings }).strict()], { error: mapSourceError });

export const duplicatesSchema = z
  .object({
    encoder: name('the encoder').optional(),
    modality: modality.optional(),
    threshold: z.number({ error: 'the threshold must be a cosine similarity above 0 and at most 1' }).gt(0, { error: 'the threshold must be a cosine similarity above 0 and at most 1' }).max(1, { error: 'the threshold must be a cosine similarity above 0 and at most 1' }).optional(),
    exactOnly: z.boolean().optional(),
    limit: wholeNumber('the number of groups', 1, 10_000).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.exactOnly && r.encoder !== undefined) ctx.addIssue({ code: 'custom', path: ['exactOnly'], message: 'choose an encoder or exact-only, not both' });
  });

/** Every request channel ('domain:verb') and its payload's schema: the channels are this map's keys. */
export const SCHEMAS = {
  'app:info': none,
  'catalog:stats': none,
  'formats:list': none,
  'import:preview': importSchema,
  'import:start': importSchema,
  'encoders:add': z
    .object({ dir: filePath('the folder'), name: name('the encoder name').optional(), file: filePath('the file').optional(), pooling: oneOf('the pooling', ['cls', 'mean', 'mean-last-two', 'none'] as const).optional(), replace: z.boolean().optional() })
    .strict(),
  'embed:start': embedSchema,
  'encoders:build': z.object({ kind: oneOf('the encoder to build', NPM_ENCODER_KINDS) }).strict(),
  'encoders:pull': z
    .object({
      repo: z.string({ error: 'the repository must be a hub id' }).trim().regex(/^[A-Za-z0-9][\w.-]{0,95}(\/[A-Za-z0-9][\w.-]{0,95})?$/, { error: 'the repository must be a hub id such as Xenova/all-MiniLM-L6-v2' }),
      file: filePath('the file').optional(),
      modality: modality.optional(),
      revision: name('the revision').optional(),
      name: name('the encoder name').optional(),
      replace: z.boolean().optional(),
    })
    .strict(),
  'encoders:known': none,
  'providers:list': none,
  'presets:list': none,
  'runs:list': none,
  'runs:metrics': runRequest,
  'runs:delete': runRequest,
  'datasets:delete': z.object({ dataset: name('the dataset') }).strict(),
  'train:start': trainSchema,
  'train:resume': runRequest,
  'jobs:list': none,
  'jobs:cancel': z.object({ jobId: z.string({ error: 'the job id must be a string' }).min(1).max(100, { error: 'the job id is too long' }) }).strict(),
  'jobs:resume': z.object({ jobId: z.string({ error: 'the job id must be a string' }).min(1).max(100, { error: 'the job id is too long' }) }).strict(),
  'search:query': searchSchema,
  'map:start': mapStartSchema,
  'map:get': mapSource,
  'items:get': z.object({ ids: z.array(itemId).max(2000, { error: 'at most 2,000 items at once' }) }).strict(),
  'items:detail': z.object({ id: itemId }).strict(),
  'duplicates:find': duplicatesSchema,
  'duplicates:mark': z.object({ item: itemId, others: z.array(itemId).min(1, { error: 'others must name at least one item' }).max(10_000, { error: 'at most 10,000 items at once' }), different: z.boolean({ error: 'different must be true or false' }) }).strict(),
  'demo:start': z.object({ items: wholeNumber('the number of drawings', 20, 100_000).optional(), budgetSeconds: positive('the time budget (seconds)', LIMITS.budgetSeconds).optional() }).strict(),
} as const satisfies Record<`${string}:${string}`, z.ZodType>;

/** Each channel's payload, as its schema accepts it. */
export type RequestPayloads = { [C in keyof typeof SCHEMAS]: z.infer<(typeof SCHEMAS)[C]> };

/** The first problem of a parse, as one line: "what: message" (the field is named in the message). */
export function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  // Unknown keys and custom checks name their field only in the path.
  if (issue.code === 'unrecognized_keys') return `unknown option ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  return issue.message;
}

/** Checks a value with a schema; returns the data or the one-line message. */
export function check<T>(schema: z.ZodType<T>, value: unknown): { ok: true; data: T } | { ok: false; message: string } {
  const r = schema.safeParse(value);
  return r.success ? { ok: true, data: r.data } : { ok: false, message: firstIssue(r.error) };
}

export type ImportRequest = z.infer<typeof importSchema>;
export type EmbedRequest = z.infer<typeof embedSchema>;
export type TrainRequest = z.infer<typeof trainSchema>;
export type SearchRequest = z.infer<typeof searchSchema>;
/** A query: a catalog item, a text, or a dropped file's bytes (base64) with its name. */
export type SearchInput = SearchRequest['query'];
export type MapSourceRequest = z.infer<typeof mapSource>;
export type MapStartRequest = z.infer<typeof mapStartSchema>;
export type DuplicatesRequest = z.infer<typeof duplicatesSchema>;
export type EncoderAddRequest = RequestPayloads['encoders:add'];
