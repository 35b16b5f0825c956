/** A problem with the user's input files: the import stops and the catalog is left as it was. */
import { UserError } from '../util/errors.ts';
export class ImportError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
  }
}
