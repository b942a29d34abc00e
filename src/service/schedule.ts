import cron, { type ScheduledTask } from 'node-cron';
import { displayTimeZone, wallClockParts } from '../time.ts';

/**
 * The backup schedule: a cron expression read as wall-clock time in one time zone, with the
 * daylight-saving rules cron daemons use, which node-cron 4 does not:
 *
 * - a time that does not exist (the spring-forward gap, e.g. 02:30 in Europe/Berlin on the last
 *   Sunday of March) runs at the first instant after the gap (03:00 local), once;
 *   node-cron's matcher never matches it, so "0 2 * * *" would skip that night;
 * - a time that exists twice (the fall-back hour) runs at its first occurrence only;
 * - a timer that fires late (a busy machine, a suspended host) still runs the job, once;
 *   node-cron drops a run that is more than a second late as "missed".
 *
 * node-cron still parses and validates the expression and matches the calendar fields; the
 * instant is computed here by `nextRunAfter`, a pure function of the expression, the zone and a
 * given instant, so the rules above are tested with any clock.
 */

/** The zone a schedule without TZ uses: the process's own (TZ, else the system's), as for every time shown. */
export const systemTimeZone = displayTimeZone;

interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function wallTime(instant: number, timeZone: string): WallTime {
  const parts = wallClockParts(new Date(instant), timeZone);
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** The zone's offset from UTC at `instant`, in milliseconds (whole seconds). */
export function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallAsUtc(wallTime(whole, timeZone)) - whole;
}

/**
 * The instant a wall-clock time stands for: its first occurrence when it exists twice, or the
 * first instant after the gap when it does not exist.
 */
export function wallTimeToInstant(wall: WallTime, timeZone: string): { instant: number; inGap: boolean } {
  const asUtc = wallAsUtc(wall);
  // Offsets change at most once within a day and by less than a day: the offsets a day either
  // side are the only candidates.
  const offsets = new Set([offsetAt(asUtc - 86_400_000, timeZone), offsetAt(asUtc, timeZone), offsetAt(asUtc + 86_400_000, timeZone)]);
  const matches = [...offsets]
    .map((offset) => asUtc - offset)
    .filter((instant) => wallAsUtc(wallTime(instant, timeZone)) === asUtc)
    .sort((a, b) => a - b);
  if (matches.length > 0) return { instant: matches[0]!, inGap: false };
  // In the gap: the transition is the first instant whose offset is the later one.
  let low = asUtc - 86_400_000;
  let high = asUtc + 86_400_000;
  const before = offsetAt(low, timeZone);
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (offsetAt(middle, timeZone) === before) low = middle;
    else high = middle;
  }
  return { instant: high, inGap: true };
}

const calendarMatchers = new Map<string, ScheduledTask>();

/** Matches an expression against a wall-clock time, with no zone (and so no DST) involved. */
function calendarMatcher(expression: string): ScheduledTask {
  let matcher = calendarMatchers.get(expression);
  if (matcher === undefined) {
    // Never started: used only for `match`.
    matcher = cron.createTask(expression, () => undefined, { timezone: 'Etc/UTC', name: `calendar:${expression}` });
    calendarMatchers.set(expression, matcher);
  }
  return matcher;
}

/** Enough to find the next run of any valid expression (node-cron also looks 100 years ahead). */
const maxDaysAhead = 366 * 100;
/** Wall times further back than this before `after` cannot be after it, whatever the DST shift. */
const largestShiftMs = 3 * 3_600_000;

/**
 * The first instant strictly after `after` at which the schedule runs, by the rules above.
 * Pure: depends only on its arguments (and the time-zone database).
 */
export function nextRunAfter(expression: string, timeZone: string, after: Date): Date {
  const fields = cron.parse(expression);
  const seconds = [...fields.second].sort((a, b) => a - b);
  const minutes = [...fields.minute].sort((a, b) => a - b);
  const hours = [...fields.hour].sort((a, b) => a - b);
  const matcher = calendarMatcher(expression);
  const afterMs = after.getTime();
  const start = wallTime(afterMs, timeZone);
  const earliestWall = wallAsUtc(start) - largestShiftMs;
  let day = Date.UTC(start.year, start.month - 1, start.day);
  for (let index = 0; index < maxDaysAhead; index += 1, day += 86_400_000) {
    // The time fields are the first of each list, so only the calendar fields decide.
    if (!matcher.match(new Date(day + hours[0]! * 3_600_000 + minutes[0]! * 60_000 + seconds[0]! * 1000))) continue;
    const date = new Date(day);
    // A day without an offset change: every wall time is one instant, no zone lookups needed.
    const offset = offsetAt(day - 86_400_000, timeZone);
    const steady = offset === offsetAt(day + 2 * 86_400_000, timeZone);
    for (const hour of hours) {
      for (const minute of minutes) {
        for (const second of seconds) {
          const wallMs = day + hour * 3_600_000 + minute * 60_000 + second * 1000;
          if (wallMs < earliestWall) continue;
          const instant = steady
            ? wallMs - offset
            : wallTimeToInstant(
                { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour, minute, second },
                timeZone,
              ).instant;
          if (instant > afterMs) return new Date(instant);
        }
      }
    }
  }
  throw new Error(`the schedule "${expression}" has no run in the next 100 years`);
}

/** Timers are re-armed at least this often, so a changed wall clock is noticed. */
const maxTimerMs = 60_000;

export interface ScheduleOptions {
  expression: string;
  timeZone: string;
  run(scheduledFor: Date): void;
  now?(): Date;
}

/**
 * Runs `run` at each `nextRunAfter` instant. A timer that fires late still runs the job once (a
 * backup that is late is better than none); the next run is then computed from the current time.
 */
export class Schedule {
  private readonly options: ScheduleOptions;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private next: Date | undefined;

  constructor(options: ScheduleOptions) {
    this.options = options;
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    this.next = nextRunAfter(this.options.expression, this.options.timeZone, this.now());
    this.arm();
  }

  nextRun(): Date | null {
    return this.next ?? null;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = undefined;
  }

  private arm(): void {
    if (this.next === undefined) return;
    const delay = Math.min(Math.max(this.next.getTime() - this.now().getTime(), 0), maxTimerMs);
    this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    if (this.next === undefined) return;
    const now = this.now();
    if (now.getTime() >= this.next.getTime()) {
      const due = this.next;
      this.next = nextRunAfter(this.options.expression, this.options.timeZone, now.getTime() > due.getTime() ? now : due);
      this.options.run(due);
    }
    this.arm();
  }
}
