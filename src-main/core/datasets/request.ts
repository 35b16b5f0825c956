// The check an import request gets before a job is created for it (reading the source is the job's work).
import fs from 'node:fs';
import { UserError } from '../util/errors.ts';

export function checkImportSource(source: string): void {
  if (!fs.existsSync(source)) throw new UserError(`no such file or folder: ${source}`);
}
