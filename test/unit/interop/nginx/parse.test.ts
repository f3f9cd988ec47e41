import { describe, expect, it } from 'vitest';
import { parseNginx } from '../../../../src/interop/nginx/parse.js';
import { importError } from '../helpers.js';

describe('nginx parser', () => {
  it('builds directives and blocks with positions', () => {
    const [stream] = parseNginx('stream {\n    upstream a { server 10.0.0.1:53; }\n}\n', 'n.conf');
    expect(stream).toMatchObject({ name: 'stream', line: 1, column: 1 });
    const upstream = stream?.block?.[0];
    expect(upstream).toMatchObject({ name: 'upstream', args: ['a'], line: 2, column: 5 });
    expect(upstream?.block?.[0]).toMatchObject({ name: 'server', args: ['10.0.0.1:53'], line: 2, column: 18 });
  });

  it('reports mistakes where nginx notices them', () => {
    const error = (text: string) => importError(() => parseNginx(text, 'n.conf')).message;
    expect(error('events {\n    worker_connections 10\n}\n')).toBe('n.conf:3:1: unexpected "}": "worker_connections" is not terminated by ";"');
    expect(error('events {}\n}\n')).toBe('n.conf:2:1: unexpected "}": no block is open');
    expect(error('stream {\n    server {\n')).toBe('n.conf:2:5: unexpected end of file: the block of "server" is not closed (expecting "}")');
    expect(error('worker_processes 2')).toBe('n.conf:1:19: unexpected end of file, expecting ";" after "worker_processes"');
    expect(error('events { ; }')).toBe('n.conf:1:10: unexpected ";"');
    expect(error('{ }')).toBe('n.conf:1:1: unexpected "{": no directive before it');
  });
});
