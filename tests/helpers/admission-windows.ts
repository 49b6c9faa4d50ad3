import { expect } from "bun:test";

/** One request as a client saw it: its admission happened somewhere between sent and received. */
export interface TimedRequest {
  sent: number;
  received: number;
  admitted: boolean;
}

/** Sends one request, timing it (performance.now() ms). */
export async function timed<T>(
  send: () => Promise<T>,
  admitted: (result: T) => boolean,
): Promise<TimedRequest & { result: T }> {
  const sent = performance.now();
  const result = await send();
  return { sent, received: performance.now(), admitted: admitted(result), result };
}

/**
 * The most admissions that certainly fell within one 1-second interval: requests sent at or after
 * one admitted request was sent and answered less than 1000 ms after that. A client cannot see the
 * instant of admission, so this never accuses a limiter wrongly; spreading N per replica over
 * three replicas is still caught as soon as the requests are quick.
 */
export function mostAdmittedWithinOneSecond(requests: TimedRequest[]): number {
  const admitted = requests.filter((r) => r.admitted).sort((a, b) => a.sent - b.sent);
  let most = 0;
  for (let i = 0; i < admitted.length; i++) {
    const from = admitted[i]!.sent;
    let n = 0;
    for (let j = i; j < admitted.length; j++) if (admitted[j]!.received < from + 1000) n++;
    most = Math.max(most, n);
  }
  return most;
}

/**
 * Never more than `limit` admissions within one second; and when the whole burst took less than a
 * second (the usual case), exactly `limit` admitted.
 */
export function expectLimited(requests: TimedRequest[], limit: number): void {
  expect(mostAdmittedWithinOneSecond(requests)).toBeLessThanOrEqual(limit);
  const span = Math.max(...requests.map((r) => r.received)) - Math.min(...requests.map((r) => r.sent));
  if (span < 1000) expect(requests.filter((r) => r.admitted)).toHaveLength(limit);
  else expect(requests.filter((r) => r.admitted).length).toBeGreaterThanOrEqual(limit);
}
