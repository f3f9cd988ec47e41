/** Runs before every test file: the host side of the contract's ports that every test shares. */
import '../../src/protocol/host/install-node-crypto.js';
