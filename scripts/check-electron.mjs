// npm run check:electron — Electronegativity (Doyensec's static check of Electron security) over
// the desktop shell: the main process (src-main/app), the preload and the renderer's page. Every
// finding fails the check unless it is listed below as reviewed, with the reason. Electronegativity
// tries to fetch Electron's release list; offline it says so and goes on.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
/** Findings a person has checked: Electronegativity asks for a review, and this is it. */
const REVIEWED = {
  CSP_GLOBAL_CHECK: 'the CSP is set twice: a meta tag in index.html and a response header for every load (desktopCsp in src-main/app/security/policy.ts); its content is checked by test/security/electron-policy.test.ts',
  PRELOAD_JS_CHECK: 'the preload exposes exactly the contract channels (REQUEST_CHANNELS, EVENT_CHANNELS) and one recording flag through contextBridge; never ipcRenderer itself',
};

const scan = fs.mkdtempSync(path.join(os.tmpdir(), 'altmoe-electron-scan-'));
try {
  for (const [from, to] of [['src-main/app', 'main'], ['src-preload', 'preload'], ['src-renderer/index.html', 'renderer/index.html']]) {
    fs.cpSync(path.join(ROOT, from), path.join(scan, to), { recursive: true });
  }
  const sarif = path.join(scan, 'findings.sarif');
  const electron = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/electron/package.json'), 'utf8')).version;
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/@doyensec/electronegativity/dist/index.js'), '-i', scan, '-r', '-v', 'false', '-e', electron, '-o', sarif], { stdio: ['ignore', 'ignore', 'inherit'] });
  const results = JSON.parse(fs.readFileSync(sarif, 'utf8')).runs.flatMap((r) => r.results);
  const where = (r) => {
    const loc = r.locations?.[0]?.physicalLocation;
    return `${loc?.artifactLocation?.uri ?? '?'}:${loc?.region?.startLine ?? '?'}`;
  };
  const open = results.filter((r) => !(r.ruleId in REVIEWED));
  for (const r of results.filter((x) => x.ruleId in REVIEWED)) console.log(`reviewed  ${r.ruleId} at ${where(r)}: ${REVIEWED[r.ruleId]}`);
  for (const r of open) console.log(`FINDING   ${r.ruleId} (${r.level}) at ${where(r)}`);
  console.log(`electronegativity (Electron ${electron}): ${results.length} finding(s), ${open.length} not reviewed`);
  process.exitCode = open.length > 0 ? 1 : 0;
} finally {
  fs.rmSync(scan, { recursive: true, force: true });
}
