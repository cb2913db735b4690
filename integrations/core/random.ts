// Seeded randomness for everything that must be the same on every run: synthetic model weights,
// sample images per category, validation sets. Never Math.random().

/** A 32-bit seed from any string (FNV-1a), so seeds can be names like "samples:Collages". */
function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a small, fast, well-distributed 32-bit generator. Returns floats in [0, 1). */
export function createRandom(seed: number | string): () => number {
  let a = (typeof seed === 'string' ? seedFrom(seed) : seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples (Box–Muller) from a uniform generator. */
export function createNormal(random: () => number): () => number {
  let spare: number | null = null;
  return () => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** A shuffled copy (Fisher–Yates), deterministic for a seed. */
export function shuffled<T>(items: readonly T[], seed: number | string): T[] {
  const random = createRandom(seed);
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** n items drawn without replacement, in the order drawn; all of them when n ≥ length. */
export function sample<T>(items: readonly T[], n: number, seed: number | string): T[] {
  return shuffled(items, seed).slice(0, Math.max(0, n));
}
