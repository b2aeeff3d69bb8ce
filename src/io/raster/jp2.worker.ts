/**
 * Worker thread that decodes one JPEG 2000 codestream with OpenJPEG (WebAssembly), off the main thread.
 * Message in: { codestream: Uint8Array }. Message out: { data: Uint8Array, width, height, bits, signed }
 * or { error }.
 */
import { parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';

interface FrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}
interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  decodeSubResolution(level: number, layer: number): void;
  getFrameInfo(): FrameInfo;
  delete(): void;
}
interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
}

const require = createRequire(import.meta.url);
// The codec prints an [INFO] line per tile unless its print hooks are replaced.
const factory = require('@cornerstonejs/codec-openjpeg/decodewasmjs') as (opts: object) => Promise<OpenJpegModule>;
const codec = factory({ print: () => undefined, printErr: () => undefined });

parentPort!.on('message', async (msg: { codestream: Uint8Array; level?: number }) => {
  let decoder: J2KDecoder | undefined;
  try {
    const mod = await codec;
    decoder = new mod.J2KDecoder();
    decoder.getEncodedBuffer(msg.codestream.length).set(msg.codestream);
    // A reduced resolution (level k: 1/2^k of each side) decodes only the wavelet levels it needs.
    if (msg.level) decoder.decodeSubResolution(msg.level, 0);
    else decoder.decode();
    const info = decoder.getFrameInfo();
    if (msg.level) {
      info.width = Math.ceil(info.width / 2 ** msg.level);
      info.height = Math.ceil(info.height / 2 ** msg.level);
    }
    // Copy out of the wasm heap before the decoder is deleted.
    const data = decoder.getDecodedBuffer().slice();
    parentPort!.postMessage(
      {
        data,
        width: info.width,
        height: info.height,
        bits: info.bitsPerSample,
        components: info.componentCount,
        signed: info.isSigned,
      },
      [data.buffer],
    );
  } catch (err) {
    // Emscripten may throw a bare pointer (a number) for a C++ exception.
    const reason = err instanceof Error ? err.message : typeof err === 'number' ? 'decoder failed' : String(err);
    parentPort!.postMessage({ error: reason });
  } finally {
    decoder?.delete();
  }
});
