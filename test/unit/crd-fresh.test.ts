// The committed generated files equal what the generator produces now, so CI fails when someone
// changes the zod schemas without running `node src/api/generate-crd.ts`.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CRD_HEADER } from '../../src/api/crd.ts';
import { BEGIN_MARKER, END_MARKER } from '../../src/api/docs.ts';
import { generatedFiles, main } from '../../src/api/generate-crd.ts';

const run = promisify(execFile);

describe('generated API files are fresh', () => {
  it('crds/attune.dev_resizepolicies.yaml and the field reference in docs/api.md match the schemas', async () => {
    const files = await generatedFiles();
    expect(files.map((f) => f.path)).toEqual(['crds/attune.dev_resizepolicies.yaml', 'docs/api.md']);
    for (const f of files) expect(f.current, `${f.path} is stale: run node src/api/generate-crd.ts`).toBe(f.wanted);
  });

  it('the CRD starts with the do-not-edit marker and the docs keep their generated section', async () => {
    const [crd, docs] = await generatedFiles();
    expect(crd!.current!.split('\n')[0]).toBe(CRD_HEADER);
    expect(docs!.current).toContain(BEGIN_MARKER);
    expect(docs!.current).toContain(END_MARKER);
  });

  it('`generate-crd.ts --check` exits 0 when fresh', async () => {
    const { stdout, stderr } = await run(process.execPath, ['src/api/generate-crd.ts', '--check']);
    expect(stdout + stderr).toBe('');
  });
});

describe('generate-crd.ts on a copy of the repository files', () => {
  async function copyRepoFiles(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'attune-gen-'));
    await mkdir(join(dir, 'crds'));
    await mkdir(join(dir, 'docs'));
    await cp('crds/attune.dev_resizepolicies.yaml', join(dir, 'crds/attune.dev_resizepolicies.yaml'));
    await cp('docs/api.md', join(dir, 'docs/api.md'));
    return dir;
  }

  it('--check exits 1 with one line naming the stale file; a normal run fixes it', async () => {
    const dir = await copyRepoFiles();
    try {
      const crdPath = join(dir, 'crds/attune.dev_resizepolicies.yaml');
      await writeFile(crdPath, (await readFile(crdPath, 'utf8')).replace('default: 95', 'default: 90'));
      const lines: string[] = [];
      expect(await main(['--check'], dir, (l) => lines.push(l))).toBe(1);
      expect(lines).toEqual(['stale generated API files: crds/attune.dev_resizepolicies.yaml; run: node src/api/generate-crd.ts']);

      expect(await main([], dir, (l) => lines.push(l))).toBe(0);
      expect(await main(['--check'], dir, (l) => lines.push(l))).toBe(0);
      expect(await readFile(crdPath, 'utf8')).toBe(await readFile('crds/attune.dev_resizepolicies.yaml', 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
