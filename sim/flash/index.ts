export { FileFlash, FLASH_FILE } from './file-flash.js';
export { MemoryFlash } from './memory-flash.js';
export { PowerCutError, PowerCutFlash, type PowerCutOptions } from './power-cut-flash.js';
export type { FaultableFlash } from './faultable-flash.js';
export { DEFAULT_FIRMWARE_VERSION, FACTORY_KEY_SEED, buildFactoryImage, factorySigningKey, factoryTrustedKey, simulatorTrustedKeys } from './factory-image.js';
export { SIM_SECTOR_SIZE, SIM_SLOT_SIZE, SIM_WRITE_SIZE, simFlash } from './geometry.js';
