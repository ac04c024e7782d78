// Runs a module that `cnnc build --target wasm32` wrote, through its JavaScript module, for
// WebAssemblyTargetTests: node run-module.mjs DIR/NAME.js INPUT.f32 OUTPUT.f32
// reads little-endian float32 input (one sample), writes the output the same way, and prints the
// module's imports and exports as JSON.
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const [script, inputPath, outputPath] = process.argv.slice(2);
const net = await import(pathToFileURL(script));
const wasm = new URL(script.replace(/\.js$/, '.wasm'), pathToFileURL('./'));
const module = await WebAssembly.compile(await readFile(wasm));
await net.load();
const bytes = await readFile(inputPath);
const input = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
const output = net.predict(input);
await writeFile(outputPath, new Uint8Array(output.buffer, output.byteOffset, output.byteLength));
console.log(JSON.stringify({
  imports: WebAssembly.Module.imports(module).map(entry => `${entry.module}.${entry.name}`),
  exports: WebAssembly.Module.exports(module).map(entry => entry.name).sort(),
  inputShape: net.inputShape,
  top: net.top(1)[0].index,
}));
