/**
 * Imported first by every Node entry point (CLI, benchmarks, fuzzing, fault campaign, tests): it
 * installs Node's crypto as the contract's CryptoPort before any other module is evaluated, so
 * even a module that hashes at load time finds it.
 */
import { installNodeCrypto } from './node-crypto.js';

installNodeCrypto();
