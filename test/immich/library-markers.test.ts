import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkLibrary } from '../../src/backup/steps/library-check.ts';
import { runNodeUnprivileged } from '../support/unprivileged.ts';

/**
 * Issue 14, part 5: the library check looks at the `.immich` markers of all six folders Immich
 * checks at start, and a folder the sidecar may not read is "permission denied on X", not a
 * missing marker.
 */
const folders = ['library', 'upload', 'thumbs', 'encoded-video', 'profile', 'backups'];

function uploadLocation(): string {
  const root = mkdtempSync(join(tmpdir(), 'immich-markers-'));
  chmodSync(root, 0o755);
  for (const folder of folders) {
    mkdirSync(join(root, folder));
    writeFileSync(join(root, folder, '.immich'), '1732420800000');
  }
  return root;
}

test('all six folders with their markers: nothing to say', async () => {
  const root = uploadLocation();
  const check = await checkLibrary(root);
  assert.deepEqual(check, { ok: true, found: ['library', 'upload', 'profile'], warnings: [] });
});

test('a missing folder and a missing marker among the six are both named', async () => {
  const root = uploadLocation();
  rmSync(join(root, 'thumbs'), { recursive: true });
  rmSync(join(root, 'backups', '.immich'));
  rmSync(join(root, 'encoded-video', '.immich'));
  const check = await checkLibrary(root);
  assert.equal(check.ok, false);
  assert.deepEqual(check.warnings, [
    `${join(root, 'thumbs')} is missing: Immich checks thumbs/.immich at start, so a restore of this library would not boot`,
    `${join(root, 'encoded-video')} has no .immich marker: is this the folder Immich uses?`,
    `${join(root, 'backups')} has no .immich marker: is this the folder Immich uses?`,
  ]);
});

test('a folder the sidecar may not read is "permission denied on X", not a missing marker', async () => {
  const root = uploadLocation();
  chmodSync(join(root, 'upload'), 0o700);
  // As an unprivileged user (root reads everything), the way a sidecar with `user:` set runs.
  const script = `import(${JSON.stringify(new URL('../../src/backup/steps/library-check.ts', import.meta.url).href)})
    .then((module) => module.checkLibrary(${JSON.stringify(root)})).then((check) => process.stdout.write(JSON.stringify(check)))`;
  const child = await runNodeUnprivileged(['--input-type=module', '-e', script], { folders: [root] });
  assert.equal(child.code, 0, child.stderr);
  const check = JSON.parse(child.stdout) as { ok: boolean; warnings: string[] };
  assert.equal(check.ok, false);
  assert.equal(check.warnings.length, 1, check.warnings.join('\n'));
  assert.match(check.warnings[0]!, new RegExp(`^permission denied on ${join(root, 'upload')}: the sidecar runs as 65534:65534`));
  assert.doesNotMatch(check.warnings[0]!, /is this the folder Immich uses/);

  chmodSync(root, 0o700);
  const whole = await runNodeUnprivileged(['--input-type=module', '-e', script], { folders: [root] });
  assert.match(whole.stdout, /permission denied on /, whole.stderr);
});
