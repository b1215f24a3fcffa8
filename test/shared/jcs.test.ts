import { describe, expect, it } from 'vitest';
import { canonicalize, chainInput, codePointLength, hasLoneSurrogate, GENESIS_HASH } from '@lodestone/shared';

describe('canonicalize (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units and drops whitespace', () => {
    // RFC 8785 §3.2.3 example: keys sorted on UTF-16 code units.
    const input = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    expect(canonicalize(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('serializes numbers as ECMAScript does (RFC 8785 §3.2.2.3 samples)', () => {
    // eslint-disable-next-line no-loss-of-precision -- the RFC's own sample literal
    expect(canonicalize([333333333.33333329, 1e30, 4.5, 2e-3, 0.000001, 1e-7, -0, 100])).toBe('[333333333.3333333,1e+30,4.5,0.002,0.000001,1e-7,0,100]');
  });

  it('keeps nested structure, omits undefined members and refuses non-finite numbers', () => {
    expect(canonicalize({ b: [1, { d: null, c: true }], a: 'x', u: undefined })).toBe('{"a":"x","b":[1,{"c":true,"d":null}]}');
    expect(() => canonicalize({ n: Number.NaN })).toThrow();
  });

  it('builds the chain input from prevHash and the event body with actorId', () => {
    const input = chainInput({ stream: 'alerts', seq: 1, type: 'alert.posted', at: '2026-01-01T00:00:00.000Z', actor: null, data: { b: 1, a: 2 }, prevHash: GENESIS_HASH });
    expect(input).toBe(`${GENESIS_HASH}{"actorId":null,"at":"2026-01-01T00:00:00.000Z","data":{"a":2,"b":1},"seq":1,"stream":"alerts","type":"alert.posted"}`);
  });
});

describe('text rules', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('😀'.repeat(200))).toBe(200);
    expect(codePointLength('ジスプロシウム')).toBe(7);
  });

  it('finds unpaired surrogates', () => {
    expect(hasLoneSurrogate('ok 😀')).toBe(false);
    expect(hasLoneSurrogate('\ud800x')).toBe(true);
    expect(hasLoneSurrogate('x\udc00')).toBe(true);
  });
});
