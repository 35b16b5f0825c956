// The check an import request gets before a job is created for it (reading the source is the job's work).
import fs from 'node:fs';
import { asFileSystemError } from '../util/errors.ts';

/** Refuses a source that cannot even be looked at, saying why (missing, a loop of links, forbidden). */
export function checkImportSource(source: string): void {
  try {
    fs.statSync(source);
  } catch (err) {
    throw asFileSystemError(err);
  }
}
