/** `archeo status <out>`: what an output folder holds across every shard — done, failed, pending, running. */
import { Command } from 'commander';
import type { StatusReport } from '../pipeline/status.js';

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Show one merged view of an output folder of archeo scan, over every shard: scenes done, failed (stage, message), pending and running (with the holder of each live lock), totals',
    )
    .argument('<out>', 'the output folder (--out of archeo scan)')
    .option('--json', 'print as JSON on stdout (counts.done|failed|pending|running, shards, scenes)')
    .option('--all', 'list every scene, done ones included')
    .addHelpText(
      'after',
      `
It reads and never writes: run it while shards still work, or on a folder written by several hosts.
pending: planned by a run and not yet reached (queued in a live run, or left by a run that was killed:
the next run of that shard takes it). Shards never started are listed by their i/n.

Examples:
  archeo status /data/indices
  archeo status /data/indices --json | jq .counts`,
    )
    .action(async (out: string, flags: { json?: boolean; all?: boolean }) => {
      const { folderStatus } = await import('../pipeline/status.js');
      const report = folderStatus(out);
      process.stdout.write(
        flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, flags.all ?? false),
      );
    });
}

function formatStatus(r: StatusReport, all: boolean): string {
  const c = r.counts;
  const lines = [
    `${r.out}: ${c.total} scene(s): ${c.done} done, ${c.failed} failed, ${c.pending} pending, ${c.running} running`,
    `time ${r.totals.wall_s.toFixed(1)} s over the scenes, outputs ${(r.totals.output_bytes / 1e6).toFixed(1)} MB`,
  ];
  for (const s of r.shards) {
    const name = s.shard === null ? 'run' : `shard ${s.shard}`;
    const lock = s.lock
      ? s.lock.live
        ? `running: pid ${s.lock.pid} on ${s.lock.host} since ${s.lock.started_at} (heartbeat ${s.lock.heartbeat_age_s} s ago)`
        : `lock of a run that is gone (pid ${s.lock.pid} on ${s.lock.host}): the next run takes it over`
      : 'not running';
    const n = s.counts;
    lines.push(`  ${name}: ${lock}; ${n.done} done, ${n.failed} failed, ${n.pending} pending, ${n.running} running`);
    for (const p of s.problems) lines.push(`    problem: ${p}`);
  }
  if (r.missing_shards.length) lines.push(`  never started: shard ${r.missing_shards.join(', ')}`);
  for (const s of r.scenes) {
    if (s.status === 'done' && !all) continue;
    const where = s.shard === null ? '' : ` [${s.shard}]`;
    const what =
      s.status === 'failed'
        ? `${s.stage ?? '?'}: ${s.message ?? '?'}${s.transient ? ' (transient: retried by the next run)' : ''}`
        : s.status === 'done'
          ? `${s.finished_at} (${s.wall_s} s)`
          : (s.message ?? '');
    lines.push(`${s.status.padEnd(8)} ${s.id}${where}  ${what}`);
  }
  return `${lines.join('\n')}\n`;
}
