/**
 * A real one-node Slurm cluster for a test: munged (as the munge user, with its own key and socket),
 * slurmctld and slurmd (as root), from a small slurm.conf in a temporary folder — no systemd, no
 * accounting. Every daemon is stopped by the pid it wrote. Used by test/scan/slurm.test.ts (through
 * slurm.ts) and by `npm run bench:array`; it needs Slurm installed and root (slurmd must be).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';

const tools = ['munged', 'mungekey', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scancel', 'scontrol', 'sinfo'];
const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
const isRoot = process.getuid?.() === 0;
const mungeUser = spawnSync('id', ['-u', 'munge'], { encoding: 'utf8' });

export const slurmAvailable = missing.length === 0 && isRoot && mungeUser.status === 0;
/** Why Slurm cannot run here, in words (empty when it can). */
export const slurmMissing = slurmAvailable
  ? ''
  : missing.length
    ? `missing ${missing.join(', ')} (apt-get install slurm-wlm munge)`
    : isRoot
      ? 'no munge user'
      : 'not root (slurmd must run as root)';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], opts: { uid?: number; gid?: number; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.error ?? ''}`);
  return r;
}

export class SlurmCluster {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    private readonly pidFiles: string[],
  ) {}

  /** Starts munged, slurmctld and slurmd, and waits until the node is idle. */
  static async start(cpus = Math.max(2, os.availableParallelism()), parent = os.tmpdir()): Promise<SlurmCluster> {
    const dir = mkdtempSync(join(parent, 'archeo-slurm-'));
    chmodSync(dir, 0o755); // munged's socket must be reachable by every user
    const munge = join(dir, 'munge');
    mkdirSync(munge, { mode: 0o755 });
    const uid = Number(mungeUser.stdout.trim());
    const gid = Number(run('id', ['-g', 'munge']).stdout.trim());
    chownSync(munge, uid, gid);
    for (const d of ['state', 'spool', 'jobs']) mkdirSync(join(dir, d));
    const host = os.hostname();
    const [ctldPort, dPort] = [await freePort(), await freePort()];
    const conf = join(dir, 'slurm.conf');
    writeFileSync(
      conf,
      [
        'ClusterName=archeo-test',
        `SlurmctldHost=${host}(127.0.0.1)`,
        `SlurmctldPort=${ctldPort}`,
        `SlurmdPort=${dPort}`,
        'AuthType=auth/munge',
        'CredType=cred/munge',
        `AuthInfo=socket=${join(munge, 'sock')}`,
        'ProctrackType=proctrack/linuxproc',
        'TaskPlugin=task/none',
        'SwitchType=switch/none',
        'MpiDefault=none',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_CPU',
        'AccountingStorageType=accounting_storage/none',
        'JobAcctGatherType=jobacct_gather/none',
        'JobCompType=jobcomp/none',
        'SlurmUser=root',
        'SlurmdUser=root',
        // A configuration that names more CPUs than the machine has is taken as written (no drain).
        'SlurmdParameters=config_overrides',
        'ReturnToService=2',
        'MinJobAge=600',
        `StateSaveLocation=${join(dir, 'state')}`,
        `SlurmdSpoolDir=${join(dir, 'spool')}`,
        `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
        `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
        `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
        `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
        `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=1000 State=UNKNOWN`,
        `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
        '',
      ].join('\n'),
    );
    const env = { ...process.env, SLURM_CONF: conf };
    const cluster = new SlurmCluster(dir, env, [
      join(dir, 'slurmd.pid'),
      join(dir, 'slurmctld.pid'),
      join(munge, 'pid'),
    ]);
    try {
      const keyFile = join(munge, 'key');
      run('mungekey', ['--create', `--keyfile=${keyFile}`], { uid, gid });
      run(
        'munged',
        [
          `--socket=${join(munge, 'sock')}`,
          `--pid-file=${join(munge, 'pid')}`,
          `--log-file=${join(munge, 'log')}`,
          `--seed-file=${join(munge, 'seed')}`,
          `--key-file=${keyFile}`,
        ],
        { uid, gid },
      );
      run('slurmctld', ['-f', conf], { env });
      run('slurmd', ['-f', conf], { env });
      for (let i = 0; ; i++) {
        const r = spawnSync('sinfo', ['-h', '-o', '%t'], { encoding: 'utf8', env });
        if (r.status === 0 && r.stdout.trim() === 'idle') break;
        if (i > 150) throw new Error(`the Slurm node did not come up: ${r.stdout}${r.stderr}\n${cluster.logs()}`);
        await new Promise((res) => setTimeout(res, 200));
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** A Slurm command with this cluster's configuration. */
  cmd(cmd: string, args: string[]): SpawnSyncReturns<string> {
    return spawnSync(cmd, args, { encoding: 'utf8', env: this.env, timeout: 30000 });
  }

  /** sbatch: the job id. */
  sbatch(args: string[]): string {
    const r = this.cmd('sbatch', ['--parsable', ...args]);
    if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout.trim().split(';')[0]!;
  }

  /** Waits until no job of the cluster is queued or running. */
  async drain(timeoutMs = 90000): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      const r = this.cmd('squeue', ['-h', '-o', '%i %T']);
      if (r.status === 0 && r.stdout.trim() === '') return;
      if (Date.now() - t0 > timeoutMs) throw new Error(`jobs still queued after ${timeoutMs} ms:\n${r.stdout}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** A job's (or array task's) field from `scontrol show job`, e.g. ExitCode or JobState. */
  jobField(job: string, field: string): string | undefined {
    const r = this.cmd('scontrol', ['-o', 'show', 'job', job]);
    return new RegExp(`\\b${field}=(\\S+)`).exec(r.stdout)?.[1];
  }

  logs(): string {
    return ['slurmctld.log', 'slurmd.log']
      .map((f) => (existsSync(join(this.dir, f)) ? readFileSync(join(this.dir, f), 'utf8').slice(-3000) : ''))
      .join('\n');
  }

  /** Stops slurmd, slurmctld and munged by the pids they wrote, waits for each to go, removes the folder. */
  async stop(): Promise<void> {
    for (const file of this.pidFiles) {
      let pid: number;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        continue;
      }
      if (!Number.isSafeInteger(pid) || pid <= 1) continue;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        continue;
      }
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((res) => setTimeout(res, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}
