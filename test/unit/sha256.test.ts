// The browser's sha256 (core/sha256.ts) against FIPS 180-4's worked examples and node:crypto, on the
// texts the dictionary parser hashes (category names in any script) and on every padding boundary.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../integrations/core/sha256.ts';

const node = (text: string) => createHash('sha256').update(text).digest('hex');

describe('sha256Hex', () => {
  it.each([
    { text: '', hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' },
    { text: 'abc', hex: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
    { text: 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', hex: '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1' },
  ])('FIPS 180-4 example $text', ({ text, hex }) => {
    expect(sha256Hex(text)).toBe(hex);
  });

  it('equals node:crypto on names in other scripts and at every block boundary', () => {
    const texts = ['政治', 'Politik 政治', 'Café Öl', '😀 emoji', 'a'.repeat(1000)];
    for (let n = 50; n <= 130; n++) texts.push('x'.repeat(n));
    for (const t of texts) expect(sha256Hex(t), t.slice(0, 20)).toBe(node(t));
  });
});
