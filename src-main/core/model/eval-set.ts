/** Paired vectors of one split as evaluation sees them: media rows, caption rows and each caption's media row. */
export interface EvalSet {
  /** media modality (a) and caption modality (b) */
  a: string;
  b: string;
  aVecs: Float32Array;
  bVecs: Float32Array;
  owner: Int32Array;
}
