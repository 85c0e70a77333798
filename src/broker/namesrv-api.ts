import type { Logger } from '../common/logger.js';
import { createRequest } from '../protocol/command.js';
import { stringifyJsonBuffer } from '../protocol/fastjson.js';
import { RegisterBrokerRequestHeader, UnRegisterBrokerRequestHeader } from '../protocol/headers/namesrv.js';
import { crc32 } from '../protocol/message/crc32.js';
import { RequestCode } from '../protocol/request-code.js';
import { ResponseCode } from '../protocol/response-code.js';
import type { RemotingClient } from '../transport/client.js';
import type { TopicConfigSerializeWrapper } from './topic-config-manager.js';

/** Who this broker is, as REGISTER_BROKER / UNREGISTER_BROKER say it. */
export interface BrokerIdentity {
  clusterName: string;
  brokerName: string;
  brokerId: number;
  /** host:port clients reach the broker at. */
  brokerAddr: string;
  /** host:port of the HA service (listenPort + 1). */
  haServerAddr: string;
}

/** Outcome of one call to one NameServer. */
export interface NamesrvCallResult {
  namesrvAddr: string;
  ok: boolean;
  /** Response code or error text when not ok. */
  error?: string;
}

/** `host:port;host:port` → the addresses (blank entries dropped). */
export function splitNamesrvAddr(list: string): string[] {
  return list
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** The uncompressed RegisterBrokerBody (reference §4.4). */
export function encodeRegisterBrokerBody(wrapper: TopicConfigSerializeWrapper): Buffer {
  return stringifyJsonBuffer({ filterServerList: [], topicConfigSerializeWrapper: wrapper });
}

/** Java's UtilAll.crc32: CRC32 of the body, masked to a non-negative int. */
export function registerBodyCrc32(body: Buffer): number {
  return crc32(body) & 0x7fffffff;
}

/**
 * The broker's calls to the NameServers (Java's BrokerOuterAPI): REGISTER_BROKER and UNREGISTER_BROKER to every
 * address of `namesrvAddr` in parallel. Never throws; failures are logged and reported per NameServer.
 */
export class NamesrvApi {
  constructor(
    private readonly client: RemotingClient,
    private readonly logger: Logger,
  ) {}

  /** REGISTER_BROKER with the topic table to every NameServer. */
  registerBrokerAll(
    namesrvAddrs: readonly string[],
    identity: BrokerIdentity,
    wrapper: TopicConfigSerializeWrapper,
    timeoutMs: number,
    heartbeatTimeoutMillis?: number,
  ): Promise<NamesrvCallResult[]> {
    const body = encodeRegisterBrokerBody(wrapper);
    const extFields = RegisterBrokerRequestHeader.encode({
      brokerName: identity.brokerName,
      brokerAddr: identity.brokerAddr,
      clusterName: identity.clusterName,
      haServerAddr: identity.haServerAddr,
      brokerId: identity.brokerId,
      heartbeatTimeoutMillis,
      enableActingMaster: false,
      compressed: false,
      bodyCrc32: registerBodyCrc32(body),
    });
    return Promise.all(
      namesrvAddrs.map((addr) =>
        this.call(addr, 'register', () => createRequest(RequestCode.REGISTER_BROKER, { extFields, body }), timeoutMs),
      ),
    );
  }

  /** UNREGISTER_BROKER to every NameServer. */
  unregisterBrokerAll(
    namesrvAddrs: readonly string[],
    identity: BrokerIdentity,
    timeoutMs: number,
  ): Promise<NamesrvCallResult[]> {
    const extFields = UnRegisterBrokerRequestHeader.encode({
      brokerName: identity.brokerName,
      brokerAddr: identity.brokerAddr,
      clusterName: identity.clusterName,
      brokerId: identity.brokerId,
    });
    return Promise.all(
      namesrvAddrs.map((addr) =>
        this.call(addr, 'unregister', () => createRequest(RequestCode.UNREGISTER_BROKER, { extFields }), timeoutMs),
      ),
    );
  }

  private async call(
    namesrvAddr: string,
    what: string,
    build: () => ReturnType<typeof createRequest>,
    timeoutMs: number,
  ): Promise<NamesrvCallResult> {
    try {
      const response = await this.client.invoke(namesrvAddr, build(), timeoutMs);
      if (response.code === ResponseCode.SUCCESS) return { namesrvAddr, ok: true };
      const error = `code ${response.code}: ${response.remark ?? ''}`;
      this.logger.warn({ namesrvAddr, code: response.code, remark: response.remark }, `${what} broker refused`);
      return { namesrvAddr, ok: false, error };
    } catch (err) {
      this.logger.warn({ namesrvAddr, err }, `${what} broker failed`);
      return { namesrvAddr, ok: false, error: (err as Error).message };
    }
  }
}
