/** A problem with an encoder folder or model, or with one item's media: a readable message, never a crash. */
export class EncoderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncoderError';
  }
}
