import { Writable } from 'node:stream';
import { pino } from 'pino';
import { redactPaths, type Logger } from '../../src/log.ts';

/** A real pino logger (same redaction as the program's) whose records the test can read. */
export function captureLog(): { log: Logger; records: Record<string, unknown>[]; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  const log = pino({ level: 'debug', redact: { paths: redactPaths, censor: '[redacted]' } }, stream);
  return {
    log,
    get records() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    text: () => lines.join('\n'),
  };
}
