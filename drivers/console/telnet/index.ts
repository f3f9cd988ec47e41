/**
 * A pure telnet client codec (RFC 854/855/856/858/2217) for console servers: bytes in, events
 * and bytes out, no I/O. parser → events, negotiation → replies, writer/com-port → frames. Only
 * what a link needs is exported here; the step files hold the rest (and their tests use it).
 */
export { Option, optionName } from './constants.js';
export { TelnetParser, type TelnetEvent } from './parser.js';
export { escapeData, concatFrames } from './writer.js';
export { Negotiator, type OptionChange } from './negotiation.js';
export {
  DEFAULT_LINE,
  SETTING_COMMANDS,
  lineRequests,
  purgeRequest,
  breakRequest,
  parseReply,
  judgeReplies,
  type LineSettings,
  type LineTook,
  type ComPortReply,
} from './com-port.js';
