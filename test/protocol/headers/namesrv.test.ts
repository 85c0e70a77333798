import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/common/errors.js';
import {
  AddWritePermOfBrokerResponseHeader,
  BrokerHeartbeatRequestHeader,
  GetRouteInfoRequestHeader,
  PutKVConfigRequestHeader,
  QueryDataVersionResponseHeader,
  RegisterBrokerRequestHeader,
  UnRegisterBrokerRequestHeader,
} from '../../../src/protocol/headers/namesrv.js';

describe('NameServer headers', () => {
  it('decodes a REGISTER_BROKER header as a 5.x broker sends it (hand-written from §3.5)', () => {
    const ext = {
      brokerName: 'broker-a', // brokerName* S
      brokerAddr: '10.0.0.1:10911', // brokerIP1:listenPort
      clusterName: 'DefaultCluster',
      haServerAddr: '10.0.0.1:10912', // brokerIP2:haListenPort
      brokerId: '0', // 0 = master
      heartbeatTimeoutMillis: '120000',
      enableActingMaster: 'false',
      compressed: 'false', // the broker always sends false
      bodyCrc32: '1234567', // CRC32 & 0x7FFFFFFF
    };
    expect(RegisterBrokerRequestHeader.decode(ext)).toEqual({
      brokerName: 'broker-a',
      brokerAddr: '10.0.0.1:10911',
      clusterName: 'DefaultCluster',
      haServerAddr: '10.0.0.1:10912',
      brokerId: 0,
      heartbeatTimeoutMillis: 120000,
      enableActingMaster: false,
      compressed: false,
      bodyCrc32: 1234567,
    });
    expect(RegisterBrokerRequestHeader.encode(RegisterBrokerRequestHeader.decode(ext))).toEqual(ext);
  });

  it('decodes a 4.x REGISTER_BROKER header (no 5.x fields)', () => {
    const h = RegisterBrokerRequestHeader.decode({
      brokerName: 'b',
      brokerAddr: 'a:1',
      clusterName: 'c',
      haServerAddr: 'a:2',
      brokerId: '1',
      compressed: 'false',
      bodyCrc32: '0',
    });
    expect(h.enableActingMaster).toBeUndefined();
    expect(h.heartbeatTimeoutMillis).toBeUndefined();
    expect(h.brokerId).toBe(1);
  });

  it('names the missing field', () => {
    expect(() => UnRegisterBrokerRequestHeader.decode({ brokerName: 'b', brokerAddr: 'a', clusterName: 'c' })).toThrow(
      /<brokerId>/,
    );
    expect(() => GetRouteInfoRequestHeader.decode({})).toThrow(ProtocolError);
    expect(() => PutKVConfigRequestHeader.decode({ namespace: 'n', key: 'k' })).toThrow(/<value>/);
  });

  it('GET_ROUTEINFO_BY_TOPIC with acceptStandardJsonOnly and 5.x RPC fields', () => {
    expect(
      GetRouteInfoRequestHeader.decode({ topic: 'T', acceptStandardJsonOnly: 'true', ns: 'ns1', lo: 'false' }),
    ).toEqual({ topic: 'T', acceptStandardJsonOnly: true, ns: 'ns1', lo: false });
    expect(GetRouteInfoRequestHeader.encode({ topic: 'T' })).toEqual({ topic: 'T' });
  });

  it('response headers', () => {
    expect(QueryDataVersionResponseHeader.encode({ changed: true })).toEqual({ changed: 'true' });
    expect(AddWritePermOfBrokerResponseHeader.decode({ addTopicCount: '3' })).toEqual({ addTopicCount: 3 });
    expect(
      BrokerHeartbeatRequestHeader.decode({ clusterName: 'c', brokerAddr: 'a', brokerName: 'b', epoch: '2' }),
    ).toEqual({
      clusterName: 'c',
      brokerAddr: 'a',
      brokerName: 'b',
      epoch: 2,
    });
  });
});
