// Why a search cannot answer: the query's own problem, or one target modality not searchable yet.
import type { Modality } from '../../../src-shared/types.ts';
import { UserError } from '../util/errors.ts';

export class SearchError extends UserError {}

/** The query's encoder recognises nothing in it (a text of words outside its vocabulary). */
export class UnrecognisedQueryError extends SearchError {}

/**
 * One target modality cannot be searched from this query (no connector for the pair, no encoder or
 * vectors for it): a multi-modality search reports it beside the sections that can answer.
 */
export class UnavailableError extends SearchError {
  constructor(
    message: string,
    /** What would make it searchable. */
    readonly fix: 'add-encoder' | 'embed' | 'train',
  ) {
    super(message);
  }
}

export interface Unavailable {
  modality: Modality;
  reason: string;
  fix: UnavailableError['fix'];
}

