// `clipscope model list`: the curated repositories and the measured speeds beside them.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_MODELS, knownModelsTable, readSpeeds, speedTwinOf, type SpeedRecord, type SpeedsFile } from '../../integrations/engine/model/known-models.ts';

const record = (variant: string, imagesPerSecond: number, load: number, batch = 16): SpeedRecord => ({
  twin: 't', variant, imagesPerSecond, rounds: [imagesPerSecond / 2, imagesPerSecond, imagesPerSecond / 3], batch, threads: 2,
  loadAverageBefore: [load, 1, 1], loadAverageAfter: [load, 1, 1], date: '2026-12-03',
});

const SPEEDS: SpeedsFile = {
  note: '',
  machine: { cpu: 'Test CPU', cores: 2, onnxruntime: '1.30.0' },
  models: {
    'Xenova/clip-vit-base-patch32': { fp32: { ...record('fp32', 12.345, 0.5), cpuSecondsPerImage: 0.141 }, quantized: record('quantized', 31.6, 2.25) },
    'Xenova/mobileclip_s0': { fp32: record('fp32', 4.04, 1.5, 4) },
  },
};

describe('model list', () => {
  it('lists MobileCLIP S0 to B and a LAION checkpoint, each with a speed twin the twin builder knows', () => {
    const repos = KNOWN_MODELS.map((m) => m.repo);
    for (const r of ['Xenova/mobileclip_s0', 'Xenova/mobileclip_s1', 'Xenova/mobileclip_s2', 'Xenova/mobileclip_b', 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K', 'Xenova/clip-vit-large-patch14-336']) {
      expect(repos).toContain(r);
    }
    expect(new Set(repos).size).toBe(repos.length);
    expect(speedTwinOf('Xenova/mobileclip_b')).toBe('mobileclip_b');
    expect(() => speedTwinOf('someone/else')).toThrow('not in the model list');
    // Every twin is one the Python builder can make.
    const builder = readFileSync('scripts/reference/make_speed_twin.py', 'utf8');
    for (const m of KNOWN_MODELS) expect(builder, m.twin).toContain(`    "${m.twin}": dict(`);
    // Only repositories in the ONNX layout are fetchable as they are.
    expect(KNOWN_MODELS.filter((m) => !m.fetch).map((m) => m.repo)).toEqual(['laion/CLIP-ViT-B-32-laion2B-s34B-b79K']);
  });

  it('shows measured images/s (one decimal below 10, none above), – where not measured, and how they were measured', () => {
    const models = KNOWN_MODELS.filter((m) => ['Xenova/clip-vit-base-patch32', 'Xenova/mobileclip_s0', 'Xenova/siglip-base-patch16-224'].includes(m.repo));
    const lines = knownModelsTable(models, SPEEDS).trimEnd().split('\n');
    const cells = (repo: string) => lines.find((l) => l.startsWith(repo))!.split(/ {2,}/);
    expect(cells('Xenova/clip-vit-base-patch32').slice(6, 9)).toEqual(['12', '32', '0.14']);
    expect(cells('Xenova/mobileclip_s0').slice(6, 9)).toEqual(['4.0', '–', '–']);
    expect(cells('Xenova/siglip-base-patch16-224').slice(6, 9)).toEqual(['–', '–', '–']);
    const note = lines.find((l) => l.startsWith('img/s:'))!;
    expect(note).toContain('2-core CPU (Test CPU, onnxruntime 1.30.0)');
    expect(note).toContain('batch 4 to 16, best of 3 rounds, 2026-12-03');
    expect(note).toContain('1-minute load average 0.5 to 2.3 on 2 cores');
    expect(note).toContain('CPU-s/img (CPU seconds per image over all threads, least of the rounds)');
    expect(note).toContain('– = not measured');
  });

  it('says so when no measurements exist, and marks repositories that need an export', () => {
    const table = knownModelsTable(KNOWN_MODELS, null);
    expect(table).toContain('img/s: not measured');
    expect(table).toMatch(/^laion\/CLIP-ViT-B-32-laion2B-s34B-b79K \* /m);
    expect(table).toContain('* PyTorch weights only on the Hub');
  });

  it('reads speeds.json, and treats a missing or broken file as no measurements', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clipscope-speeds-'));
    try {
      await writeFile(join(dir, 'ok.json'), JSON.stringify(SPEEDS));
      await writeFile(join(dir, 'bad.json'), '{"models": ');
      expect(readSpeeds(join(dir, 'ok.json'))?.models['Xenova/mobileclip_s0']?.fp32?.imagesPerSecond).toBe(4.04);
      expect(readSpeeds(join(dir, 'bad.json'))).toBeNull();
      expect(readSpeeds(join(dir, 'missing.json'))).toBeNull();
      // The committed file parses and names only listed repositories.
      const committed = readSpeeds();
      expect(committed).not.toBeNull();
      for (const repo of Object.keys(committed!.models)) expect(KNOWN_MODELS.map((m) => m.repo)).toContain(repo);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
