import { LANGUAGE_NAMES } from '../protocol/command.js';
import type { RemotingConnection } from '../transport/connection.js';

/** A client as the broker knows it from its heartbeats: which connection it uses and when it last spoke. */
export interface ClientChannel {
  /** `clientIP@instanceName[@unitName]`, from HeartbeatData.clientID. */
  clientId: string;
  connection: RemotingConnection;
  /** `ip:port` of the peer. */
  clientAddr: string;
  /** LanguageCode ordinal from the heartbeat request. */
  language: number;
  /** MQVersion ordinal from the heartbeat request. */
  version: number;
  /** Milliseconds since the epoch of the last heartbeat. */
  lastUpdateTimestamp: number;
}

/** A `Connection` entry of ConsumerConnection / ProducerConnection bodies (reference §4.6). */
export interface ConnectionJson {
  clientId: string;
  clientAddr: string;
  language: string;
  version: number;
}

/** The JSON form of a client channel, with the language as its Java enum name. */
export function connectionJson(channel: ClientChannel): ConnectionJson {
  return {
    clientId: channel.clientId,
    clientAddr: channel.clientAddr,
    language: LANGUAGE_NAMES[channel.language] ?? 'OTHER',
    version: channel.version,
  };
}
