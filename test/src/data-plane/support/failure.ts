/** Runs a call that must fail and returns what it threw (an official client's API error). */
export async function failure<T = any>(call: Promise<unknown> | (() => Promise<unknown>)): Promise<T> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return err as T;
  }
  throw new Error('expected the call to fail');
}
