/**
 * A progress report that arrives far more often than a log, a status page or a person needs it
 * (every chunk of a table, every answer of a polling loop), passed on at most once every
 * `intervalMs`, plus the calls that must always go through (a table done, the end).
 */
export interface ProgressThrottle<T> {
  /** Passes `progress` on if `intervalMs` went by since the last one passed on; drops it otherwise. */
  (progress: T): void;
  /** Passes `progress` on now, whatever the time (a final or milestone report); the interval restarts. */
  flush(progress: T): void;
}

export interface ProgressThrottleOptions {
  /**
   * Pass the first report on at once (a log saying "started" soon). Otherwise the first one waits
   * an interval from the throttle's creation (the start of the work is reported elsewhere).
   */
  immediateFirst?: boolean;
}

export function throttleProgress<T>(intervalMs: number, report: (progress: T) => void, options: ProgressThrottleOptions = {}): ProgressThrottle<T> {
  let last = options.immediateFirst === true ? -Infinity : Date.now();
  const flush = (progress: T): void => {
    last = Date.now();
    report(progress);
  };
  const throttled = (progress: T): void => {
    if (Date.now() - last >= intervalMs) flush(progress);
  };
  return Object.assign(throttled, { flush });
}
