/**
 * Runs before every test file: the host side of the contract's ports that every test shares, and
 * a $FULCRUM_HOME of the file's own. Without it a CLI started by a test that names no home would
 * open the operator's ~/.fulcrum (its database, its keys, its run directory) — and fail there on a
 * database another Fulcrum version left, or leave one behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import '../../src/protocol/host/install-node-crypto.js';

const home = mkdtempSync(path.join(tmpdir(), 'fulcrum-test-home-'));
process.env.FULCRUM_HOME = home;
delete process.env.FULCRUM_STORE;
afterAll(() => rmSync(home, { recursive: true, force: true }));
