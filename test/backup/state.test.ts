import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RunReport } from '../../src/report.ts';
import { emptyState, loadState, recordRun, stateFileName } from '../../src/backup/state.ts';
import { captureLog } from '../support/log-capture.ts';

function report(runId: string): RunReport {
  const at = '2026-01-02T03:04:05.000Z';
  return {
    runId,
    status: 'success',
    exitCode: 0,
    trigger: 'manual',
    startedAt: at,
    finishedAt: at,
    durationMs: 1000,
    folder: runId,
    failedStep: null,
    error: null,
    steps: [{ name: 'dump', status: 'ok', startedAt: at, durationMs: 900 }],
    warnings: [],
    dump: null,
    snapshots: {},
    repository: { id: '0123456789abcdef', storage: 'filesystem', description: 'filesystem /repository', offsite: false },
    offsite: false,
  };
}

test('the state file: written whole (0600, no temporary file left), read back equal', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-'));
  assert.deepEqual(await loadState(dir), emptyState(), 'no state file yet: an empty state, quietly');
  await recordRun(dir, report('immich-20260102_030405'));
  const state = await loadState(dir);
  assert.equal(state.runs[0]!.runId, 'immich-20260102_030405');
  assert.equal(state.repository?.id, '0123456789abcdef');
  assert.equal(statSync(join(dir, stateFileName)).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
});

test('a state file that is not valid: a warning names the file and what is wrong, it is kept aside, and the next run records itself', async () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"version": 1, "runs": [', /is not valid JSON/],
    ['a run with an unknown status', JSON.stringify({ ...emptyState(), runs: [{ ...report('immich-20250101_000000'), status: 'done' }] }), /runs\[0\]\.status/],
    ['counters missing', JSON.stringify({ version: 1, runs: [] }), /counters/],
  ];
  for (const [what, content, problem] of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'state-invalid-'));
    const path = join(dir, stateFileName);
    writeFileSync(path, content);
    const reading = captureLog();
    assert.deepEqual(await loadState(dir, reading.log), emptyState(), what);
    const warning = reading.records.find((record) => record.level === 40);
    assert.ok(warning !== undefined, `${what}: a warning`);
    assert.equal(warning.stateFile, path);
    assert.match(String(warning.msg), new RegExp(`the state file ${path.replaceAll('.', '\\.')} `), what);
    assert.match(String(warning.msg), problem, what);

    const writing = captureLog();
    await recordRun(dir, report('immich-20260102_030405'), writing.log);
    assert.equal((await loadState(dir)).runs[0]!.runId, 'immich-20260102_030405', `${what}: the run is recorded`);
    const aside = readdirSync(dir).filter((name) => name.startsWith(`${stateFileName}.invalid-`));
    assert.equal(aside.length, 1, `${what}: the invalid file is kept`);
    assert.equal(readFileSync(join(dir, aside[0]!), 'utf8'), content);
    assert.match(writing.text(), new RegExp(`kept as ${join(dir, aside[0]!).replaceAll('.', '\\.')}`), what);
  }
});

test('a state file of an older version (runs without repository and offsite) is valid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'state-old-'));
  const { repository: _repository, offsite: _offsite, ...older } = report('immich-20250101_000000');
  writeFileSync(join(dir, stateFileName), JSON.stringify({ ...emptyState(), runs: [older] }));
  const { log, records } = captureLog();
  const state = await loadState(dir, log);
  assert.deepEqual(records, []);
  assert.equal(state.runs[0]!.runId, 'immich-20250101_000000');
  assert.equal(state.runs[0]!.offsite, false);
});
