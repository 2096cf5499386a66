// Exponential backoff with jitter, for retries on the same origin. Jitter spreads the retries of
// many readers so a recovering origin is not hit by all of them in the same millisecond.

/** Delay before retry number `attempt` (0-based): min(max, base·2^attempt), scaled by 50–100 %. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp * (0.5 + 0.5 * random()));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
