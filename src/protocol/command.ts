/**
 * RemotingCommand: the logical content of one RocketMQ remoting frame (reference §1.2). Pure data; the byte layout
 * lives in frame.ts.
 */

/** How the header of a frame is serialized (the high byte of header-meta). */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeType = (typeof SerializeType)[keyof typeof SerializeType];

/** LanguageCode ordinals (reference §1.8). JSON headers carry the name, binary headers the ordinal byte. */
export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  NODE_JS: 13,
} as const;
export type LanguageName = keyof typeof LanguageCode;
export const LANGUAGE_NAMES: readonly LanguageName[] = Object.keys(LanguageCode) as LanguageName[];

/** MQVersion ordinals that change behaviour (reference §1.7). */
export const Version = {
  V3_0_0_SNAPSHOT: 0,
  V3_4_9: 121,
  V4_0_0: 213,
  V4_5_0: 313,
  V4_7_0: 353,
  V4_9_0: 393,
  V4_9_4: 401,
  V4_9_7: 407,
  V4_9_8: 409,
  V5_0_0: 413,
  V5_1_0: 433,
  V5_1_4: 441,
  V5_2_0: 453,
  V5_3_0: 473,
  V5_3_1: 475,
  V5_3_3: 479,
} as const;

/** The version rocketmq-ts announces in its own commands. */
export const CURRENT_VERSION = Version.V5_3_3;

/** The name Java prints for an MQVersion ordinal (`V5_3_3`, MQVersion.getVersionDesc); the number when unknown. */
export function versionName(ordinal: number): string {
  for (const [name, value] of Object.entries(Version)) if (value === ordinal) return name;
  return String(ordinal);
}

/** `flag` bits (reference §1.4). */
export const FLAG_RESPONSE = 0x1;
export const FLAG_ONEWAY = 0x2;

/** Largest frame (the 4-byte length prefix not included) either side accepts: 16 MiB. */
export const MAX_FRAME_LENGTH = 16 * 1024 * 1024;

export interface RemotingCommand {
  /** Request code on a request, response code on a response. */
  code: number;
  /** LanguageCode ordinal of the sender. */
  language: number;
  /** Sender's MQVersion ordinal. */
  version: number;
  /** Request id; a response echoes its request's. */
  opaque: number;
  flag: number;
  remark?: string | undefined;
  /** Custom header fields, always strings on the wire. */
  extFields?: Record<string, string> | undefined;
  body?: Buffer | undefined;
  /** How the header was (or is to be) serialized. */
  serializeType: SerializeType;
}

let nextOpaque = 0;

/** A fresh request id, unique within this process until it wraps at 2^31. */
export function newOpaque(): number {
  nextOpaque = (nextOpaque + 1) & 0x7fffffff;
  return nextOpaque;
}

export function isResponse(cmd: RemotingCommand): boolean {
  return (cmd.flag & FLAG_RESPONSE) !== 0;
}

export function isOneway(cmd: RemotingCommand): boolean {
  return (cmd.flag & FLAG_ONEWAY) !== 0;
}

export interface CommandInit {
  extFields?: Record<string, string> | undefined;
  body?: Buffer | undefined;
  remark?: string | undefined;
  serializeType?: SerializeType;
  oneway?: boolean;
}

/** A request with a new opaque. */
export function createRequest(code: number, init: CommandInit = {}): RemotingCommand {
  return {
    code,
    language: LanguageCode.JAVA,
    version: CURRENT_VERSION,
    opaque: newOpaque(),
    flag: init.oneway ? FLAG_ONEWAY : 0,
    remark: init.remark,
    extFields: init.extFields,
    body: init.body,
    serializeType: init.serializeType ?? SerializeType.JSON,
  };
}

/**
 * The response to `request`: same opaque, response flag set, and the request's serialize type so the peer can read
 * it. We announce ourselves as JAVA, as Java servers do: older clients do not know newer language names.
 */
export function createResponse(request: RemotingCommand, code: number, init: CommandInit = {}): RemotingCommand {
  return {
    code,
    language: LanguageCode.JAVA,
    version: CURRENT_VERSION,
    opaque: request.opaque,
    flag: FLAG_RESPONSE,
    remark: init.remark,
    extFields: init.extFields,
    body: init.body,
    serializeType: init.serializeType ?? request.serializeType,
  };
}
