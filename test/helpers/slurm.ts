/**
 * Tests on a real Slurm (slurm.cluster.ts): they run when Slurm is installed and this process is root;
 * with ARCHEO_REQUIRE_SLURM=1 (set by .ci/run) a missing Slurm fails instead of skipping.
 */
import { test } from '@jest/globals';
import { slurmAvailable, slurmMissing } from './slurm.cluster.js';

export { SlurmCluster, slurmAvailable } from './slurm.cluster.js';

if (!slurmAvailable && process.env['ARCHEO_REQUIRE_SLURM'] === '1')
  throw new Error(`ARCHEO_REQUIRE_SLURM=1 but Slurm cannot run here: ${slurmMissing}`);

/** `test` when a Slurm cluster can be started here, `test.skip` otherwise. */
export const slurmTest = slurmAvailable ? test : test.skip;
