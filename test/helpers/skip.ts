/**
 * Tests that need something the machine may lack (GDAL's tools, a Vulkan device, mount): `testIf` gives
 * `test` when it is there, and otherwise skips each test with the reason in its name
 * (`… [skipped: <reason>]`), which scripts/jest.skips.mjs lists at the end of the run — which tests did
 * not run and why, not only a count.
 */
import { test } from '@jest/globals';

export const SKIP_MARK = '[skipped: ';

export function testIf(available: boolean, reason: string): typeof test {
  if (available) return test;
  const skipped = ((name: string, fn?: unknown, timeout?: number) =>
    test.skip(`${name} ${SKIP_MARK}${reason}]`, fn as never, timeout)) as unknown as typeof test;
  return skipped;
}
