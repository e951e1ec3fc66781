// The README's figures that the build knows are the build's: bundle sizes (dist/sizes.json) and each board's
// buffers (boards/*.json). A change that moves them fails here until the README says the same.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';

const readme = readFileSync('README.md', 'utf8');
const tableAfter = (marker: string) => {
  const at = readme.indexOf(marker);
  expect(at, marker).toBeGreaterThan(0);
  const rows: string[][] = [];
  for (const line of readme.slice(at + marker.length).trimStart().split('\n')) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((c) => c.trim()));
  }
  return rows.slice(2); // past the header and its rule
};

describe('the README figures', () => {
  it('give each bundle the bytes and gzip size the build measured', () => {
    const sizes = JSON.parse(readFileSync('dist/sizes.json', 'utf8'));
    const rows = tableAfter('<!-- sizes -->').filter((r) => r[0] !== '`node.json`');
    expect(rows.map((r) => r[0].replace(/`/g, '')).sort()).toEqual(Object.keys(sizes).sort());
    for (const r of rows) {
      const s = sizes[r[0].replace(/`/g, '')];
      expect(Number(r[1]), r[0]).toBe(s.bytes);
      // gzip within 2%: the figure depends on the zlib of the Node that built it
      expect(Math.abs(Number(r[2]) - s.gzip), `${r[0]} gzip`).toBeLessThanOrEqual(s.gzip * 0.02);
    }
  });

  it('give each board the buffers of its definition', () => {
    for (const r of tableAfter('<!-- boards -->')) {
      const b = JSON.parse(readFileSync(`boards/${r[0].toLowerCase()}.json`, 'utf8'));
      expect(r[1], r[0]).toBe(`${b.rxBuffer} / ${b.txBuffer} B`);
      expect(r[2], r[0]).toBe(`${b.outboxBytes} B, ${b.outboxMessages} messages`);
    }
  });
});
