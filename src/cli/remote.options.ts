/**
 * Remote reads' settings from the environment (and --requester-pays): the AWS variables every S3 tool
 * reads, the Planetary Computer's SAS settings, and archeo's own ARCHEO_HTTP_* knobs (docs/remote.md).
 * A bad value is a UsageError naming the variable.
 */
import { UsageError } from '../core/errors.js';
import { defaultRemoteOptions, type RemoteOptions } from '../io/source/source.context.js';

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name}=${v}: expected a whole number from ${min} to ${max}`);
  }
  return n;
}

/** An http(s) URL from `name`, else a UsageError naming the variable. */
function urlVar(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^https?:\/\/[^/]/i.test(v) || !URL.canParse(v)) throw new UsageError(`${name}=${v}: expected an http(s) URL`);
  return v;
}

/** ARCHEO_SAS_HOSTS: host patterns, comma-separated; empty or `none` signs nothing. */
function hostsVar(env: NodeJS.ProcessEnv, fallback: string[]): string[] {
  const v = env['ARCHEO_SAS_HOSTS'];
  if (v === undefined) return fallback;
  if (v.trim() === '' || v.trim().toLowerCase() === 'none') return [];
  const hosts = v.split(',').map((h) => h.trim());
  const bad = hosts.find((h) => h === '' || /[/\s?#@]/.test(h));
  if (bad !== undefined) {
    throw new UsageError(`ARCHEO_SAS_HOSTS=${v}: '${bad}' is not a host pattern (e.g. *.blob.core.windows.net)`);
  }
  return hosts;
}

export function remoteOptionsFromEnv(env: NodeJS.ProcessEnv, flags: { requesterPays?: boolean } = {}): RemoteOptions {
  const d = defaultRemoteOptions;
  const policy = {
    ...d.policy,
    attempts: intVar(env, 'ARCHEO_HTTP_ATTEMPTS', d.policy.attempts, 1, 20),
    baseMs: intVar(env, 'ARCHEO_HTTP_BACKOFF_MS', d.policy.baseMs, 0, 60_000),
    timeoutMs: intVar(env, 'ARCHEO_HTTP_TIMEOUT_S', d.policy.timeoutMs / 1000, 1, 3600) * 1000,
  };
  const keyId = env['AWS_ACCESS_KEY_ID'];
  const secret = env['AWS_SECRET_ACCESS_KEY'];
  if (keyId && !secret) throw new UsageError('AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not');
  const payer = env['AWS_REQUEST_PAYER'];
  if (payer !== undefined && payer !== '' && payer !== 'requester') {
    throw new UsageError(`AWS_REQUEST_PAYER=${payer}: expected 'requester'`);
  }
  const requesterPays = flags.requesterPays === true || payer === 'requester';
  if (requesterPays && !keyId) {
    throw new UsageError('--requester-pays: requester-pays buckets need signed requests (set AWS_ACCESS_KEY_ID)');
  }
  return {
    ...d,
    policy,
    hostConcurrency: intVar(env, 'ARCHEO_HTTP_CONCURRENCY', d.hostConcurrency, 1, 256),
    s3: {
      region: env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || d.s3.region,
      endpoint: env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'] || undefined,
      credentials:
        keyId && secret
          ? { accessKeyId: keyId, secretAccessKey: secret, sessionToken: env['AWS_SESSION_TOKEN'] || undefined }
          : undefined,
      requesterPays,
    },
    sas: {
      ...d.sas,
      tokenUrl: urlVar(env, 'ARCHEO_PC_SAS_URL', d.sas.tokenUrl),
      hosts: hostsVar(env, d.sas.hosts),
      subscriptionKey: env['PC_SDK_SUBSCRIPTION_KEY'] || undefined,
    },
  };
}
