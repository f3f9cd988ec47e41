import { describe, expect, it } from 'vitest';
import { parseKeepalived } from '../../../../src/interop/keepalived/parse.js';
import type { Directive } from '../../../../src/interop/syntax.js';
import { importError } from '../helpers.js';

const shape = (ds: Directive[]): unknown =>
  ds.map((d) => (d.block === undefined ? `${d.line} ${[d.name, ...d.args].join(' ')}` : { [`${d.line} ${[d.name, ...d.args].join(' ')}`]: shape(d.block) }));

describe('keepalived parser', () => {
  it("builds the block tree, whether the brace is on the keyword's line or the next", () => {
    const tree = parseKeepalived(
      'virtual_server 10.0.0.1 80\n{\n  lb_algo rr\n  real_server 10.0.0.2 80 {\n    weight 2\n    TCP_CHECK { connect_timeout 3 }\n  }\n}\n',
      'k.conf',
    );
    expect(shape(tree)).toEqual([
      { '1 virtual_server 10.0.0.1 80': ['3 lb_algo rr', { '4 real_server 10.0.0.2 80': ['5 weight 2', { '6 TCP_CHECK': ['6 connect_timeout 3'] }] }] },
    ]);
  });

  it('refuses a stray closing brace at its position', () => {
    expect(importError(() => parseKeepalived('global_defs {\n}\n}\n', 'k.conf')).message).toBe('k.conf:3:1: unexpected "}": no block is open');
  });

  it('refuses a block that is never closed, at its keyword', () => {
    expect(importError(() => parseKeepalived('global_defs {\n  router_id x\nvirtual_server 10.0.0.1 80 {\n', 'k.conf')).message).toBe(
      'k.conf:3:1: the block of "virtual_server" is not closed (missing "}")',
    );
  });

  it('refuses an opening brace with no keyword before it', () => {
    expect(importError(() => parseKeepalived('{\n}\n', 'k.conf')).message).toBe('k.conf:1:1: unexpected "{": no keyword before it');
  });
});
