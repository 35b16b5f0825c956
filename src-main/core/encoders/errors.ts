/** A problem with an encoder folder or model, or with one item's media: a readable message, never a crash. */
import { UserError } from '../util/errors.ts';
export class EncoderError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderError';
  }
}
