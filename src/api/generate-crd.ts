// Writes the generated artefacts of the API: the CRD (crds/attune.dev_resizepolicies.yaml) and the
// field reference section of docs/api.md.
//   node src/api/generate-crd.ts           write both
//   node src/api/generate-crd.ts --check   exit 1 with a one-line message if either is stale (CI)
// The only module of src/api with I/O, and only when run as a script.
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CRD_FILE, renderCrdYaml } from './crd.ts';
import { DOCS_FILE, updateApiDoc } from './docs.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Each generated file with its wanted content (docs: the current file with a fresh generated section). */
export async function generatedFiles(root = ROOT): Promise<{ path: string; current: string | undefined; wanted: string }[]> {
  const read = (p: string) => readFile(resolve(root, p), 'utf8').catch(() => undefined);
  const crd = await read(CRD_FILE);
  const docs = await read(DOCS_FILE);
  if (docs === undefined) throw new Error(`${DOCS_FILE} is missing`);
  return [
    { path: CRD_FILE, current: crd, wanted: renderCrdYaml() },
    { path: DOCS_FILE, current: docs, wanted: updateApiDoc(docs) },
  ];
}

/** The script: returns the exit code; `log` receives the one line it prints. */
export async function main(argv: readonly string[], root = ROOT, log: (line: string) => void = console.log): Promise<number> {
  const check = argv.includes('--check');
  const files = await generatedFiles(root);
  const stale = files.filter((f) => f.current !== f.wanted);
  if (check) {
    if (stale.length === 0) return 0;
    log(`stale generated API files: ${stale.map((f) => f.path).join(', ')}; run: node src/api/generate-crd.ts`);
    return 1;
  }
  for (const f of stale) await writeFile(resolve(root, f.path), f.wanted);
  log(stale.length === 0 ? 'generated API files are up to date' : `wrote ${stale.map((f) => f.path).join(', ')}`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2), ROOT, (line) => (process.argv.includes('--check') ? console.error(line) : console.log(line)));
}
