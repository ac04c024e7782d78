// Runs a module that `cnnc build --target wasm32` wrote on every sample of a .npy file, for the
// random specs of WebAssemblyTargetTests (tools/differential.py's --binary-command):
//   node run-npy.mjs DIR INPUT.npy OUTPUT.npy
// DIR holds one NAME.js; INPUT is little-endian float32 [N, C, H, W]; OUTPUT is written as
// [N, C] for a C×1×1 output and [N, C, H, W] otherwise (docs/runtime-io.md).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [directory, inputPath, outputPath] = process.argv.slice(2);
const script = (await readdir(directory)).find(name => name.endsWith('.js'));
const net = await import(pathToFileURL(join(directory, script)));
await net.load();

const bytes = await readFile(inputPath);
const headerLength = bytes.readUInt16LE(8);
const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) throw new Error(`unsupported .npy: ${header}`);
const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + 10 + headerLength, bytes.byteOffset + bytes.byteLength));
const samples = shape[0], inputCount = data.length / samples;
const [channels, height, width] = net.outputShape, outputCount = channels * height * width;
const output = new Float32Array(samples * outputCount);
for (let n = 0; n < samples; n++) {
  output.set(net.predict(data.subarray(n * inputCount, (n + 1) * inputCount)), n * outputCount);
}

const outputShape = height === 1 && width === 1 ? [samples, channels] : [samples, channels, height, width];
let outputHeader = `{'descr': '<f4', 'fortran_order': False, 'shape': (${outputShape.join(', ')},), }`;
outputHeader += ' '.repeat(63 - ((10 + outputHeader.length) % 64)) + '\n';
const prefix = Buffer.alloc(10);
prefix.write('\x93NUMPY', 0, 'latin1');
prefix[6] = 1;
prefix[7] = 0;
prefix.writeUInt16LE(outputHeader.length, 8);
await writeFile(outputPath, Buffer.concat([prefix, Buffer.from(outputHeader, 'latin1'), Buffer.from(output.buffer)]));
