/** The parts of s3rver 3.7.1 (a local S3 server, CommonJS without types) that the tests use. */
declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    /** 0: a free port. */
    port?: number;
    silent?: boolean;
    /** Where the objects are kept. */
    directory: string;
    resetOnClose?: boolean;
    /** Buckets created at start. */
    configureBuckets?: { name: string; configs: (string | Buffer)[] }[];
  }

  export default class S3rver {
    constructor(options: S3rverOptions);
    run(): Promise<AddressInfo>;
    /** The HTTP server, once running. */
    httpServer: Server;
    close(): Promise<void>;
  }
}
