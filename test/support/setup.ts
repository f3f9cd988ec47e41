/** Runs before every test file: the host side of the contract's ports that every test shares. */
import { installNodeCrypto } from '../../src/protocol/host/node-crypto.js';

installNodeCrypto();
