import { onScopeDispose, shallowRef, type Ref } from 'vue';

/**
 * Time left until an instant, for a held request's expiry: "4:05", "1:02:03", "2 d 3 h";
 * "0:00" once it has passed. Seconds are rounded up, so "0:01" is shown until it really ends.
 */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return '0:00';
  const total = Math.ceil(ms / 1000);
  const days = Math.floor(total / 86_400);
  if (days >= 1) return `${days} d ${Math.floor((total % 86_400) / 3600)} h`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

/** How urgent a countdown looks: calm, soon (under two minutes), now (under 20 seconds), or over. */
export function countdownUrgency(ms: number): 'calm' | 'soon' | 'now' | 'over' {
  if (ms <= 0) return 'over';
  if (ms < 20_000) return 'now';
  if (ms < 120_000) return 'soon';
  return 'calm';
}

let clock: Ref<number> | null = null;
let users = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/**
 * The current time, ticking every second while some countdown is on screen (one timer for all
 * of them, stopped when the last one goes).
 */
export function useSecondClock(): Ref<number> {
  if (!clock) clock = shallowRef(Date.now());
  const now = clock;
  if (users++ === 0) {
    now.value = Date.now();
    timer = setInterval(() => (now.value = Date.now()), 1000);
  }
  onScopeDispose(() => {
    if (--users === 0) clearInterval(timer);
  });
  return now;
}
